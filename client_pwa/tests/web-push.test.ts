import { describe, expect, it } from 'vitest'
import { keyBytes } from '../src/data/web-push'

describe('keyBytes', () => {
  it('decodes the server key (base64url without padding) to the bytes of the point', () => {
    const bytes = new Uint8Array(65).map((_, i) => (i * 37 + 4) % 256)
    const base64url = Buffer.from(bytes).toString('base64url')
    expect(base64url).not.toContain('=')
    expect(Array.from(keyBytes(base64url))).toEqual(Array.from(bytes))
  })

  it('takes padded base64url too', () => {
    expect(Array.from(keyBytes('_-8='))).toEqual([0xff, 0xef])
    expect(Array.from(keyBytes('_-8'))).toEqual([0xff, 0xef])
  })
})
