import { describe, expect, it } from 'vitest'
import { channelFor } from '../src/identifiers'

describe('LISTEN/NOTIFY channels', () => {
  it('one per schema, an identifier of at most 63 bytes, even for long names that share a start', () => {
    expect(channelFor('sluice')).toBe('sluice_sluice')
    const a = `${'tenant_'.repeat(8)}alpha` // 61 characters
    const b = `${'tenant_'.repeat(8)}bravo`
    const [ca, cb] = [channelFor(a), channelFor(b)]
    expect(ca).not.toBe(cb)
    for (const c of [ca, cb]) expect(c).toMatch(/^[a-z_][a-z0-9_]{0,62}$/)
    expect(channelFor(a)).toBe(ca) // the same schema, the same channel, in every process
  })
})
