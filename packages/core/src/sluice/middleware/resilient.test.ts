import { describe, expect, it } from 'vitest'
import type { ChatCompletion, Provider } from '../../providers/types'
import { ResilientAgent } from '../../resilience/resilient-agent'
import { resilientStep, wrappedOutcome } from './resilient'
import { answer, chatCall } from './test-calls'

function provider(name: string, fails: number): Provider {
  let calls = 0
  return {
    name,
    models: ['deepseek-chat'],
    defaultModel: 'deepseek-chat',
    async chat() {
      if (++calls <= fails) throw Object.assign(new Error('503'), { status: 503 })
      return answer(`from ${name}`).value as ChatCompletion
    },
    async *stream() {},
  }
}

describe('resilient step', () => {
  it("fills the call's meta with who answered after how many attempts, and keeps the usage", async () => {
    const agent = new ResilientAgent({
      providers: [provider('a', 5), provider('b', 1)],
      retry: { retries: 1, minTimeout: 1, maxTimeout: 1 },
    })
    const call = chatCall()
    const outcome = await resilientStep(agent, call)
    expect(call.meta).toMatchObject({ provider: 'b', attempts: 4, retries: 2, fallbacks: 1 })
    expect(outcome).toMatchObject({ provider: 'b', model: 'deepseek-chat', usage: { total_tokens: 15 } })
    agent.close()
  })

  it("a wrapped call's result keeps OpenAI- or AI SDK-style usage", () => {
    expect(wrappedOutcome({ usage: { prompt_tokens: 3, completion_tokens: 4 }, model: 'm' })).toMatchObject({
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      model: 'm',
    })
    expect(wrappedOutcome({ usage: { inputTokens: 2, outputTokens: 1 } }).usage?.total_tokens).toBe(3)
    expect(wrappedOutcome('text')).toEqual({ value: 'text' })
  })
})
