import { describe, expect, it } from 'vitest'
import { SluiceError } from '../../errors/sluice-error'
import { watchAttempts } from './attempt-watch'
import { chatCall } from './test-calls'

describe('attempt watch', () => {
  it("tells each call's hook of the attempt, and marks calls whose attempt a cancellation cut", () => {
    const seen: string[] = []
    const [a, b] = [chatCall('a'), chatCall('b')]
    a.steps.onAttempt = (target) => {
      seen.push(`start ${target}`)
      return (error) => seen.push(error ? `failed ${(error as SluiceError).code}` : 'ok')
    }
    const watch = watchAttempts([a, b])
    watch('deepseek')(new SluiceError('timeout', 'slow'))
    expect(a.steps.cutUpstream ?? false).toBe(false) // a timeout is not a caller's cancellation
    watch('deepseek')(new SluiceError('cancelled', 'left'))
    expect([a.steps.cutUpstream, b.steps.cutUpstream]).toEqual([true, true])
    expect(seen).toEqual(['start deepseek', 'failed timeout', 'start deepseek', 'failed cancelled'])
  })

  it('an untraced call gets a hook that makes nothing per attempt', () => {
    const call = chatCall()
    const watch = watchAttempts([call])
    expect(watch('x')).toBe(watch('y')) // one function for every attempt
    watch('x')()
    expect(call.steps.cutUpstream).toBeUndefined()
  })
})
