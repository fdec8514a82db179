// Phone numbers are stored in E.164 ("+15550100000"). Numbers of the tenant's own country are
// written the national way ("(555) 010-0000", "030 123456"), others internationally ("+49 30123456").
// The same table as the documents' (server/documents/formatting.py): country → calling code, trunk
// prefix, digit groups of the national number, and groups by leading digits (other area-code
// lengths, mobiles). The last group takes whatever digits are left.

type Plan = [code: string, trunk: string, groups: number[], byPrefix?: Record<string, number[]>]

const PLANS: Record<string, Plan> = {
  US: ['1', '', [3, 3, 4]],
  CA: ['1', '', [3, 3, 4]],
  GB: ['44', '0', [4, 6], { 20: [2, 4, 4], 7: [4, 6], 3: [3, 3, 4], 8: [3, 3, 4] }],
  IE: ['353', '0', [2, 3, 4], { 1: [1, 3, 4] }],
  DE: ['49', '0', [3, 8], { 30: [2, 8], 40: [2, 8], 69: [2, 8], 89: [2, 8] }],
  AT: ['43', '0', [3, 8], { 1: [1, 8] }],
  CH: ['41', '0', [2, 3, 2, 2]],
  FR: ['33', '0', [1, 2, 2, 2, 2]],
  BE: ['32', '0', [2, 2, 2, 2], { 4: [3, 2, 2, 2], 2: [1, 3, 2, 2] }],
  NL: ['31', '0', [2, 3, 4], { 6: [1, 8], 20: [2, 3, 4] }],
  ES: ['34', '', [3, 3, 3]],
  IT: ['39', '', [3, 3, 4]],
  PT: ['351', '', [3, 3, 3]],
  AU: ['61', '0', [1, 4, 4], { 4: [3, 3, 3] }],
  NZ: ['64', '0', [1, 3, 4], { 2: [2, 3, 4] }],
  MX: ['52', '', [2, 4, 4]],
}
const CODES = [...new Set(Object.values(PLANS).map((plan) => plan[0]))].sort((a, b) => b.length - a.length)

function grouped(digits: string, sizes: number[]): string[] {
  const out: string[] = []
  let at = 0
  for (const size of sizes.slice(0, -1)) {
    if (at + size >= digits.length) break
    out.push(digits.slice(at, at + size))
    at += size
  }
  out.push(digits.slice(at))
  return out
}

/** An E.164 number as people dial it from `country` (the tenant's); anything else as typed. */
export function formatPhone(phone: string | null | undefined, country = 'US'): string {
  const text = (phone ?? '').trim()
  if (!/^\+\d+$/.test(text)) return text
  const plan = PLANS[country.toUpperCase()]
  if (plan && text.startsWith(`+${plan[0]}`)) {
    const [code, trunk, sizes, byPrefix = {}] = plan
    const national = text.slice(1 + code.length)
    if (code === '1' && national.length === 10) return `(${national.slice(0, 3)}) ${national.slice(3, 6)}-${national.slice(6)}`
    const prefix = Object.keys(byPrefix).sort((a, b) => b.length - a.length).find((p) => national.startsWith(p))
    const groups = grouped(national, prefix ? byPrefix[prefix] : sizes)
    return [trunk + groups[0], ...groups.slice(1)].join(' ')
  }
  const code = CODES.find((c) => text.startsWith(`+${c}`))
  if (!code) return text
  let rest = text.slice(1 + code.length)
  if (code === '1' && rest.length === 10) rest = `${rest.slice(0, 3)} ${rest.slice(3, 6)} ${rest.slice(6)}`
  return `+${code} ${rest}`
}

/** "tel:" link for a phone number as stored (E.164 or whatever the office typed). */
export function telHref(phone: string): string {
  return `tel:${phone.replace(/[^\d+]/g, '')}`
}
