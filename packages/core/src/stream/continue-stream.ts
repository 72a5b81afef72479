import type { Call } from '../chain/types'
import { estimatePromptTokens, textTokens } from '../cost/estimate'
import { SluiceError } from '../errors/sluice-error'
import type { ChatChunk, ChatRequest } from '../providers/types'
import type { ResilientAgent, RunOptions } from '../resilience/resilient-agent'
import { CONTINUE_INSTRUCTION } from './continue-instruction'
import type { OpenedStream } from './open-with-fallback'

export { CONTINUE_INSTRUCTION }

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff

/** The request that continues `partial`: the conversation, the partial answer, the instruction. */
export function continuationRequest(request: ChatRequest, partial: string): ChatRequest {
  return {
    ...request,
    messages: [
      ...request.messages,
      { role: 'assistant', content: partial },
      { role: 'user', content: CONTINUE_INSTRUCTION },
    ],
  }
}

/**
 * A stream that survives its provider: when it breaks after some text reached the caller (a
 * `provider_error` with `details.partial`), the call continues on the next provider that serves
 * the model and has not streamed it yet (none left: the stream ends with the error, or with
 * `streams.sameProvider` goes on with the one that broke), asked to
 * continue from the text already sent, and
 * the caller's stream goes on from there — up to `max` times. Only plain text continues: once a
 * tool call or reasoning has started, the break ends the stream with its error (never half a tool
 * call). A trailing half of a character outside the BMP is held until its other half comes, so the
 * caller never has one alone when a stream breaks between them. The final usage counts the
 * broken stream's too (estimated: a cut stream reports none), so the budget settles both.
 */
export async function* continuing(
  agent: ResilientAgent,
  call: Call,
  options: RunOptions,
  opened: OpenedStream,
  max: number,
): AsyncGenerator<ChatChunk> {
  const request = call.request!
  let stream = opened.stream
  const tried = [opened.provider]
  let text = ''
  let asked = '' // the text the current stream was asked to continue from
  let held = ''
  let plain = true
  let extra = { prompt: 0, completion: 0 } // the broken streams' usage, estimated
  for (;;) {
    try {
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta as {
          content?: unknown
          tool_calls?: unknown
          reasoning_content?: unknown
        }
        if (
          delta?.tool_calls !== undefined ||
          (typeof delta?.reasoning_content === 'string' && delta.reasoning_content)
        )
          plain = false
        if (chunk.usage && (extra.prompt > 0 || extra.completion > 0)) {
          const u = chunk.usage
          chunk.usage = {
            ...u,
            prompt_tokens: u.prompt_tokens + extra.prompt,
            completion_tokens: u.completion_tokens + extra.completion,
            total_tokens: u.total_tokens + extra.prompt + extra.completion,
          }
        }
        if (typeof delta?.content !== 'string') {
          yield chunk
          continue
        }
        let content = held + delta.content
        held = ''
        if (content.length > 0 && isHighSurrogate(content.charCodeAt(content.length - 1))) {
          held = content.slice(-1)
          content = content.slice(0, -1)
        }
        text += content
        yield {
          ...chunk,
          choices: [{ ...chunk.choices[0]!, delta: { ...chunk.choices[0]!.delta, content } }],
        }
      }
      if (held) yield heldChunk(held)
      return
    } catch (error) {
      const cut = SluiceError.is(error, 'provider_error') && error.details.partial === true
      const others = untried(agent, request.model, tried)
      const nowhere = others.length === 0 && !call.continueSame
      if (!cut || !plain || tried.length > max || nowhere || options.signal?.aborted) throw error
      held = '' // half a character: the continuation writes it whole
      // The broken stream's own share, estimated: the request it was sent and the text it added.
      extra = {
        prompt:
          extra.prompt +
          estimatePromptTokens(tried.length === 1 ? request : continuationRequest(request, asked)),
        completion: extra.completion + textTokens(text.slice(asked.length)),
      }
      asked = text
      const next = await agent.openStream(continuationRequest(request, text), {
        ...options,
        prefer: others,
      })
      tried.push(next.provider)
      call.meta.continued = [
        ...(call.meta.continued ?? []),
        { provider: next.provider, afterChars: text.length },
      ]
      call.meta.provider = next.provider
      call.meta.attempts += next.attempts
      call.meta.retries += next.retries
      stream = next.stream
    }
  }
}

/** The providers for `model` that have not streamed this call yet, in their order. */
function untried(agent: ResilientAgent, model: string, tried: readonly string[]): string[] {
  return agent
    .providersFor(model)
    .map((p) => p.name)
    .filter((n) => !tried.includes(n))
}

const heldChunk = (content: string): ChatChunk => ({
  id: 'sluice-held',
  object: 'chat.completion.chunk',
  created: Math.floor(Date.now() / 1000),
  model: '',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
})
