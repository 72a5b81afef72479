import { describe, expect, it } from 'vitest'
import { SluiceError } from './sluice-error'
import { toHttp } from './to-http'

describe('SluiceError', () => {
  it('is recognised across package copies by its registry symbol', () => {
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('sluice.error')]: true,
      code: 'rate_limited',
    })
    expect(SluiceError.is(foreign)).toBe(true)
    expect(SluiceError.is(foreign, 'rate_limited')).toBe(true)
    expect(SluiceError.is(foreign, 'timeout')).toBe(false)
    expect(SluiceError.is(new Error('plain'))).toBe(false)
    expect(SluiceError.is(null)).toBe(false)
  })

  it('toHttp maps rate_limited to 429 with Retry-After and X-RateLimit-* headers', () => {
    const e = new SluiceError('rate_limited', 'slow down', {
      retryAfterMs: 1500,
      details: { limit: 20, remaining: 0, resetAt: 1_700_000_000_500 },
    })
    const http = toHttp(e)
    expect(http.status).toBe(429)
    expect(http.headers).toEqual({
      'Retry-After': '2',
      'X-RateLimit-Limit': '20',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '1700000001',
    })
    expect(http.body.error).toMatchObject({ code: 'rate_limited', message: 'slow down', retryAfterMs: 1500 })
  })

  it('toHttp hides config errors and unknown errors from clients', () => {
    expect(toHttp(new SluiceError('invalid_config', 'secret path')).body.error).toEqual({
      code: 'internal',
      message: 'Internal error',
    })
    expect(toHttp(new Error('db password is hunter2'))).toMatchObject({
      status: 500,
      body: { error: { code: 'internal' } },
    })
    expect(toHttp(new SluiceError('budget_exceeded', 'spent')).status).toBe(402)
    expect(toHttp(new SluiceError('circuit_open', 'down')).status).toBe(503)
  })
})
