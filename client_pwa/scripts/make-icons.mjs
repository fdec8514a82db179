// Draws the app icons (a white truck on the Haulport teal) as PNGs with no dependencies.
// Run `npm run icons` after changing the design; the PNGs are committed under public/icons/.
import { deflateSync } from 'node:zlib'
import { writeFileSync, mkdirSync } from 'node:fs'

const TEAL = [0x0f, 0x76, 0x6e]
const WHITE = [0xff, 0xff, 0xff]

function crc32(buf) {
  let c, crc = 0xffffffff
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    crc = (crc >>> 8) ^ c
  }
  return (crc ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type), data])
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td))
  return Buffer.concat([len, td, crc])
}

function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x / size, y / size)
      const o = y * (size * 4 + 1) + 1 + x * 4
      raw[o] = r; raw[o + 1] = g; raw[o + 2] = b; raw[o + 3] = a
    }
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4)
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ])
}

// Truck in unit coordinates, scaled about the centre by `s` (maskable icons need a safe zone).
function isTruck(u, v, s) {
  const x = (u - 0.5) / s + 0.5, y = (v - 0.5) / s + 0.5
  const inRect = (x0, y0, x1, y1) => x >= x0 && x <= x1 && y >= y0 && y <= y1
  const inCircle = (cx, cy, r) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r
  const box = inRect(0.14, 0.3, 0.6, 0.64)
  const cab = inRect(0.62, 0.42, 0.86, 0.64)
  const window = inRect(0.66, 0.45, 0.8, 0.52)
  const wheels = inCircle(0.28, 0.68, 0.07) || inCircle(0.74, 0.68, 0.07)
  const hubs = inCircle(0.28, 0.68, 0.025) || inCircle(0.74, 0.68, 0.025)
  return ((box || (cab && !window) || wheels) && !hubs)
}

function icon(size, { maskable }) {
  const radius = maskable ? 0 : 0.18
  return png(size, (u, v) => {
    const dx = Math.max(radius - u, u - (1 - radius), 0), dy = Math.max(radius - v, v - (1 - radius), 0)
    if (radius && dx * dx + dy * dy > radius * radius) return [0, 0, 0, 0]
    const c = isTruck(u, v, maskable ? 0.75 : 1) ? WHITE : TEAL
    return [...c, 255]
  })
}

mkdirSync('public/icons', { recursive: true })
writeFileSync('public/icons/icon-192.png', icon(192, { maskable: false }))
writeFileSync('public/icons/icon-512.png', icon(512, { maskable: false }))
writeFileSync('public/icons/icon-maskable-512.png', icon(512, { maskable: true }))
console.log('icons written to public/icons/')
