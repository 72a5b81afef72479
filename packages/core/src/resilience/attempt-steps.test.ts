import { describe, expect, it } from 'vitest'
import { SluiceError } from '../errors/sluice-error'
import { type AttemptStep, composeAttempt, retryStep, sendAttempt } from './attempt-steps'
import { retrySchema } from './resilience-schema'

describe('attempt steps', () => {
  it('a step slotted between retry and the send has its say before every try', async () => {
    const seen: string[] = []
    const gate: AttemptStep = async (attempt, next) => {
      seen.push(`gate ${attempt.stats.attempts}`)
      return next()
    }
    let tries = 0
    const retry = retryStep(retrySchema.parse({ retries: 2, minTimeout: 1, maxTimeout: 1 }), (name, n) =>
      seen.push(`retry ${name} ${n}`),
    )
    const attempt = composeAttempt([retry, gate], sendAttempt(1_000))
    const stats = { attempts: 0, retries: 0, capacityWaitMs: 0 }
    const value = await attempt({
      target: {
        name: 't',
        run: async () => {
          if (++tries < 3) throw new SluiceError('provider_error', 'busy', { status: 503, retryable: true })
          return 'ok'
        },
      },
      options: {},
      stats,
    })
    expect(value).toBe('ok')
    expect(stats).toEqual({ attempts: 3, retries: 2, capacityWaitMs: 0 })
    expect(seen).toEqual(['gate 0', 'retry t 1', 'gate 1', 'retry t 2', 'gate 2'])
  })

  it('a step that does not call next sends nothing', async () => {
    const refuse: AttemptStep = async () => {
      throw new SluiceError('circuit_open', 'no')
    }
    let sent = 0
    const attempt = composeAttempt([refuse], sendAttempt(1_000))
    const stats = { attempts: 0, retries: 0, capacityWaitMs: 0 }
    const target = { name: 't', run: async () => ++sent }
    await expect(attempt({ target, options: {}, stats })).rejects.toMatchObject({ code: 'circuit_open' })
    expect(sent).toBe(0)
    expect(stats.attempts).toBe(0)
  })
})
