import { describe, expect, it } from 'vitest'
import { WaitingLine } from './waiting-line'

/** Who gets a turn, in order, when each turn's holder leaves at once. */
async function order(line: WaitingLine, tickets: [string, ReturnType<WaitingLine['join']>][]) {
  const served: string[] = []
  for (let i = 0; i < tickets.length; i++) {
    const [name, head] = await Promise.race(tickets.map(([n, t]) => t.turn.then(() => [n, t] as const)))
    served.push(name)
    line.leave(head)
    tickets = tickets.filter(([n]) => n !== name)
    i = -1
    if (tickets.length === 0) break
  }
  return served
}

describe('WaitingLine', () => {
  it('serves by priority, ages the waiting, and takes users in turns', async () => {
    const line = new WaitingLine(1_000)
    const holder = line.join(5, 0) // holds the turn while the others join
    const tickets: [string, ReturnType<WaitingLine['join']>][] = [
      ['free-old', line.join(8, 0)], // waited 7 points' time: level with a fresh premium, and earlier
      ['burst-1', line.join(1, 7_000, 'burst')],
      ['burst-2', line.join(1, 7_000, 'burst')],
      ['burst-3', line.join(1, 7_000, 'burst')],
      ['premium', line.join(1, 7_000, 'other')],
      ['free-new', line.join(8, 7_000)],
    ]
    line.leave(holder)
    // burst's 2nd call sits a point behind its 1st, its 3rd two: the other premium user goes before them.
    expect(await order(line, tickets)).toEqual([
      'free-old',
      'burst-1',
      'premium',
      'burst-2',
      'burst-3',
      'free-new',
    ])
  })
})
