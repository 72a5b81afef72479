import { describe, expect, it } from 'vitest'
import type { ChatChunk } from '../providers/types'
import { ResilientAgent } from '../resilience/resilient-agent'
import { observeStream } from './observe-stream'
import { shareStream } from './shared-stream'

const chunk = (content: string): ChatChunk => ({
  id: 'c',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'm',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
})

/** An upstream stream that says whether it was closed, and how far it was read. */
function upstream(n: number) {
  const seen = { produced: 0, closed: false }
  async function* source() {
    try {
      for (let i = 0; i < n; i++) {
        seen.produced++
        yield chunk(String(i))
      }
    } finally {
      seen.closed = true
    }
  }
  return { seen, source: source() }
}

async function read(stream: AsyncIterable<ChatChunk>, max = Number.POSITIVE_INFINITY): Promise<string[]> {
  const out: string[] = []
  for await (const c of stream) {
    out.push(c.choices[0]!.delta.content as string)
    if (out.length >= max) break
  }
  return out
}

describe('stream iterators', () => {
  it("agent.openStream hands back every chunk, the first included, and closes the provider's stream when left early", async () => {
    const opened = async (up: ReturnType<typeof upstream>) => {
      const agent = new ResilientAgent({
        providers: [
          {
            name: 'p',
            models: ['m'],
            defaultModel: 'm',
            chat: () => Promise.reject(new Error('unused')),
            stream: () => up.source,
          },
        ],
      })
      return (await agent.openStream({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).stream
    }
    const whole = upstream(4)
    expect(await read(await opened(whole))).toEqual(['0', '1', '2', '3'])
    const left = upstream(4)
    expect(await read(await opened(left), 2)).toEqual(['0', '1'])
    expect(left.seen.closed).toBe(true)
    expect(left.seen.produced).toBe(2)
    const unread = upstream(4)
    await (await opened(unread)).return?.()
    expect(unread.seen.closed).toBe(true)
  })

  it('shareStream: every reader gets every chunk; when the last leaves, even unread, upstream closes', async () => {
    const up = upstream(3)
    const shared = shareStream(up.source)
    const [a, b] = await Promise.all([read(shared.read()), read(shared.read())])
    expect(a).toEqual(['0', '1', '2'])
    expect(b).toEqual(['0', '1', '2'])
    expect((await shared.done)?.choices[0]?.message.content).toBe('012')

    const long = upstream(1_000)
    let left = 0
    const again = shareStream(long.source, () => left++)
    const first = again.read()
    const second = again.read()
    expect(await read(first, 1)).toEqual(['0'])
    await second.return?.()
    await again.done
    expect(left).toBe(1)
    expect(long.seen.closed).toBe(true)
    expect(long.seen.produced).toBeLessThan(1_000)
  })

  it('observeStream: the end hook once with the assembled answer; a reader that leaves gets cancelled', async () => {
    const ends: unknown[] = []
    const errors: unknown[] = []
    const hooks = {
      onEnd: (o: { value: unknown }) => void ends.push(o.value),
      onError: (e: unknown) => void errors.push(e),
    }
    const whole = observeStream({ value: undefined, stream: upstream(2).source }, hooks, { assemble: true })
    expect(await read(whole.stream)).toEqual(['0', '1'])
    expect(ends).toHaveLength(1)
    expect(errors).toHaveLength(0)
    const early = upstream(5)
    const left = observeStream({ value: undefined, stream: early.source }, hooks)
    expect(await read(left.stream, 1)).toEqual(['0'])
    expect(ends).toHaveLength(1)
    expect(errors).toHaveLength(1)
    expect((errors[0] as { code?: string }).code).toBe('cancelled')
    expect(early.seen.closed).toBe(true)
  })
})
