import { describe, expect, it } from 'vitest'
import { currentCallContext, hasCallScope, withCallContext } from './call-scope'

describe('call scope', () => {
  it('keeps each scope its own context across awaits, concurrently', async () => {
    expect(hasCallScope()).toBe(true)
    expect(currentCallContext()).toBeUndefined()
    const seen = await Promise.all(
      ['ana', 'bo'].map((userId) =>
        withCallContext({ userId }, async () => {
          await new Promise((r) => setTimeout(r, userId === 'ana' ? 20 : 5))
          return currentCallContext()?.userId
        }),
      ),
    )
    expect(seen).toEqual(['ana', 'bo'])
    expect(currentCallContext()).toBeUndefined()
  })
})
