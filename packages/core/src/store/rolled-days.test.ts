import { describe, expect, it } from 'vitest'
import { RolledDays } from './rolled-days'
import type { UsageRow } from './usage-port'

const DAY = 86_400_000
const row = (userId: string, at: number, costUsd = 1): UsageRow => ({
  userId,
  endpoint: 'chat',
  tier: 'free',
  provider: 'deepseek',
  model: 'deepseek-chat',
  cached: false,
  costUsd,
  promptTokens: 10,
  completionTokens: 5,
  cachedTokens: 0,
  at,
})

describe('RolledDays', () => {
  it('folds rows into one line per day and kind, with their requests; a day is read from its start', () => {
    const rolled = new RolledDays(100)
    rolled.add(row('a', 10 * DAY + 5))
    rolled.add(row('a', 10 * DAY + 9, 2))
    rolled.add(row('b', 10 * DAY + 7))
    rolled.add(row('a', 11 * DAY + 1))
    expect(rolled.rows(10 * DAY + 8)).toEqual([
      { ...row('a', 10 * DAY, 3), promptTokens: 20, completionTokens: 10, requests: 2 },
      { ...row('b', 10 * DAY), requests: 1 },
      { ...row('a', 11 * DAY), requests: 1 },
    ])
    expect(rolled.rows(11 * DAY).map((r) => r.at)).toEqual([11 * DAY])
  })

  it('keeps at most maxLines lines: past them the oldest day goes, whatever order days come in', () => {
    const rolled = new RolledDays(2)
    rolled.add(row('a', 12 * DAY))
    rolled.add(row('a', 10 * DAY))
    rolled.add(row('b', 12 * DAY))
    expect(rolled.rows(0).map((r) => [r.userId, r.at / DAY])).toEqual([
      ['a', 12],
      ['b', 12],
    ])
  })
})
