import type { BatchOptions } from '../../batch/batch-schema'
import { Batcher } from '../../batch/batcher'
import { packChat, shareUsage, unpackChat } from '../../batch/chat-packer'
import type { Call, Outcome } from '../../chain/types'
import type { Dict } from '../../config/dict-schema'
import { estimatePromptTokens } from '../../cost/estimate'
import { SluiceError } from '../../errors/sluice-error'
import type { ChatCompletion, Usage } from '../../providers/types'
import type { ResilientAgent, RunOptions, RunResult } from '../../resilience/resilient-agent'
import { isRequestCaused } from '../../resilience/retryable'
import { watchAttempts } from './attempt-watch'
import type { Pricing } from './metrics'
import { wrappedOutcome } from './resilient'

type Settled = PromiseSettledResult<Outcome>
const fulfilled = (value: Outcome): Settled => ({ status: 'fulfilled', value })

export interface BatchCounters {
  /** Upstream calls that answered a group of two or more. */
  batches: number
  /** Calls answered inside such a group. */
  batchedCalls: number
  /** Groups whose answer did not split cleanly: their items ran as single calls. */
  fallbacks: number
}

function mark(call: Call, result: Omit<RunResult<unknown>, 'value'>, size: number): void {
  call.meta.provider = result.provider
  call.meta.attempts += result.attempts
  call.meta.retries += result.retries
  call.meta.fallbacks += result.fallbacks
  call.meta.capacityWaitMs += result.capacityWaitMs
  call.meta.batched = true
  call.meta.batchSize = size
}

function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a || !b) return a ?? b
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  }
}

/**
 * The step before the upstream call: calls of an endpoint with `batch` options are grouped by
 * their key and answered together, each caller getting its own answer and its share of the cost
 * (its limits, budget and cache entry were handled per caller before). A group that cannot be
 * split cleanly falls back to single calls, each charged its share of the failed batch too; so
 * does a group whose packed request the provider refuses as a request error.
 */
export function batchStep(
  batches: Dict<BatchOptions>,
  agent: ResilientAgent,
  single: (c: Call) => Promise<Outcome>,
  saved: (calls: number, usd: number) => void = () => {},
  price: Pricing = () => undefined,
) {
  const counters: BatchCounters = { batches: 0, batchedCalls: 0, fallbacks: 0 }
  const batchers = new Map<string, Batcher<Call, Outcome>>()

  async function singles(calls: Call[], wasted?: (Usage | undefined)[]): Promise<Settled[]> {
    counters.fallbacks++
    const results = await Promise.allSettled(calls.map(single))
    if (!wasted) return results
    return results.map((r, i) =>
      r.status === 'fulfilled'
        ? fulfilled({ ...r.value, ...withUsage(addUsage(r.value.usage, wasted[i])) })
        : r,
    )
  }

  async function chats(calls: Call[]): Promise<Settled[]> {
    let result: RunResult<ChatCompletion>
    try {
      result = await agent.chat(packChat(calls.map((c) => c.request!)), attemptsOf(calls))
    } catch (error) {
      // The packed request itself was refused (too large, too many tokens): each item alone may pass.
      if (isRequestCaused(error)) return singles(calls)
      throw error
    }
    const completion = result.value as ChatCompletion
    const answers = unpackChat(completion, calls.length)
    const shares = shareUsage(completion.usage, answers ?? calls.map(() => ''))
    if (!answers) return singles(calls, shares)
    // Each item alone would have sent its own prompt (priced uncached) for the same answer.
    const alone = calls.map((c, i) =>
      price(completion.model, usageOf(estimatePromptTokens(c.request!), shares[i]?.completion_tokens ?? 0)),
    )
    const spent = price(completion.model, completion.usage)
    const wouldHave = alone.reduce<number>((sum, usd) => sum + (usd ?? 0), 0)
    saved(calls.length - 1, spent === undefined ? 0 : Math.max(0, wouldHave - spent))
    return calls.map((call, i) => {
      mark(call, result, calls.length)
      const usage = shares[i]
      const value: ChatCompletion = {
        id: `${completion.id}-${i}`,
        object: 'chat.completion',
        created: completion.created,
        model: completion.model,
        choices: [{ index: 0, message: { role: 'assistant', content: answers[i]! }, finish_reason: 'stop' }],
        ...withUsage(usage),
      }
      return fulfilled({ value, model: completion.model, provider: result.provider, ...withUsage(usage) })
    })
  }

  async function wrapped(b: BatchOptions, calls: Call[]): Promise<Settled[]> {
    const run = b.run!
    const result = await agent.run(
      [
        {
          name: calls[0]!.endpoint,
          run: (signal) =>
            run(
              calls.map((c) => c.input),
              signal!,
            ),
        },
      ],
      attemptsOf(calls),
    )
    const outputs = result.value
    if (!Array.isArray(outputs) || outputs.length !== calls.length) return singles(calls)
    saved(calls.length - 1, 0) // an endpoint's own list function reports no usage to price
    return calls.map((call, i) => {
      mark(call, result, calls.length)
      return fulfilled({ ...wrappedOutcome(outputs[i]), provider: result.provider })
    })
  }

  function batcherFor(endpoint: string, b: BatchOptions): Batcher<Call, Outcome> {
    let batcher = batchers.get(endpoint)
    if (!batcher) {
      // A caller that leaves a batch already upstream may have spent its share of it.
      const onLeave = (call: Call, sent: boolean) => {
        if (sent) call.steps.cutUpstream = true
      }
      batcher = new Batcher({ ...b, onLeave }, async (calls) => {
        if (calls.length === 1) return Promise.allSettled([single(calls[0]!)])
        counters.batches++
        counters.batchedCalls += calls.length
        return calls[0]!.request ? chats(calls) : wrapped(b, calls)
      })
      batchers.set(endpoint, batcher)
    }
    return batcher
  }

  /** The call's batch group (`endpoint` + its key), or undefined when it is not batched. */
  function groupOf(call: Call): string | undefined {
    const b = batches[call.endpoint]
    if (!b || call.stream || (!call.request && !b.run)) return undefined
    const key = b.groupBy(call.request ?? call.input, {
      userId: call.userId,
      endpoint: call.endpoint,
      tier: call.tier,
    })
    if (key === undefined || typeof key === 'string')
      return key === undefined ? key : `${call.endpoint}\n${key}`
    throw new SluiceError(
      'invalid_config',
      `batch.${call.endpoint}.groupBy: must return a string or undefined`,
      {
        path: `batch.${call.endpoint}.groupBy`,
      },
    )
  }

  return {
    counters,
    groupOf,
    run(call: Call): Promise<Outcome> {
      const group = groupOf(call)
      if (group === undefined) return single(call)
      return batcherFor(call.endpoint, batches[call.endpoint]!).add(group, call, call.signal)
    },
  }
}

const withUsage = (usage: Usage | undefined) => (usage ? { usage } : {})

/**
 * The batch's one upstream attempt, told to every call in it (each call's trace shows it), and
 * its wait for capacity to every call's queue worker.
 */
function attemptsOf(calls: Call[]): RunOptions {
  const told = calls.flatMap((c) => (c.steps.onCapacityWait ? [c.steps.onCapacityWait] : []))
  return {
    onAttempt: watchAttempts(calls),
    ...(told.length > 0
      ? {
          onCapacityWait: (waiting: boolean) => {
            for (const f of told) f(waiting)
          },
        }
      : {}),
  }
}
const usageOf = (prompt: number, completion: number): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
})
