import { describe, expect, it } from 'vitest'
import { reconnectDelay } from '../src/data/live'

describe('live socket reconnects', () => {
  it('waits anywhere up to a ceiling that doubles from 250 ms to 5 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => reconnectDelay(n, 1_000, () => 1))).toEqual([
      250, 500, 1_000, 2_000, 4_000, 5_000, 5_000,
    ])
    expect(reconnectDelay(3, 1_000, () => 0)).toBe(0)
  })

  it('spreads the sockets a restart dropped together', () => {
    const delays = new Set(Array.from({ length: 200 }, () => Math.round(reconnectDelay(2, 1_000))))
    expect(delays.size).toBeGreaterThan(100)
    expect(Math.max(...delays)).toBeLessThanOrEqual(1_000)
  })

  it('knocks at most every 30 s once an outage has lasted a minute', () => {
    expect(reconnectDelay(20, 61_000, () => 1)).toBe(30_000)
    expect(reconnectDelay(20, 59_000, () => 1)).toBe(5_000)
  })
})
