import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider'
import { CONTINUE_INSTRUCTION } from '@sluice/core'
import { nameOf } from './runner'

type Part = LanguageModelV3StreamPart

/**
 * What a stream has sent its caller, for a continuation: its text, the id of its text block (and
 * whether that block is still open), and whether it stayed plain text (a tool call or reasoning
 * never continues).
 */
export class SentText {
  text = ''
  id: string | undefined
  open = false
  plain = true
  /** Where the stream went on so far, after how many characters (each continuation adds one). */
  continued: { provider: string; afterChars: number }[] = []

  see(part: Part): void {
    if (part.type === 'text-start') {
      this.id ??= part.id
      this.open = true
    } else if (part.type === 'text-delta') this.text += part.delta
    else if (part.type === 'text-end') this.open = false
    else if (part.type.startsWith('tool') || part.type.startsWith('reasoning')) this.plain = false
  }

  /** Whether a break now may continue elsewhere. */
  get continuable(): boolean {
    return this.plain && this.text.length > 0 && this.id !== undefined
  }
}

/** The prompt that continues `sent`: the conversation, the partial answer, the instruction. */
function continuationPrompt(
  params: LanguageModelV3CallOptions,
  sent: SentText,
): LanguageModelV3CallOptions['prompt'] {
  return [
    ...params.prompt,
    { role: 'assistant', content: [{ type: 'text', text: sent.text }] },
    { role: 'user', content: [{ type: 'text', text: CONTINUE_INSTRUCTION }] },
  ]
}

/**
 * The next model's continuation of `sent`, as parts of the caller's one stream: its text goes on
 * in the same text block (its own start dropped while that block is open), its stream-start is
 * dropped, and its finish counts the broken stream's output too (estimated: a cut stream reports
 * none), so the budget settles both, and says in `providerMetadata.sluice.continued` where the
 * stream went on and after how many characters.
 */
export async function continuation(
  model: LanguageModelV3,
  params: LanguageModelV3CallOptions,
  sent: SentText,
  signal: AbortSignal,
): Promise<ReadableStreamDefaultReader<Part>> {
  const result = await model.doStream({
    ...params,
    prompt: continuationPrompt(params, sent),
    abortSignal: signal,
  })
  const brokenOutput = Math.ceil(sent.text.length / 4)
  sent.continued.push({ provider: nameOf(model), afterChars: sent.text.length })
  const blocks = new Map<string, string>() // the continuation's text ids → the caller's
  return result.stream
    .pipeThrough(
      new TransformStream<Part, Part>({
        transform(part, out) {
          if (part.type === 'stream-start') return
          if (part.type === 'text-start') {
            blocks.set(part.id, sent.id!)
            if (sent.open) return
            sent.open = true
            out.enqueue({ ...part, id: sent.id! })
            return
          }
          if (part.type === 'text-delta' || part.type === 'text-end') {
            out.enqueue({ ...part, id: blocks.get(part.id) ?? sent.id! })
            return
          }
          if (part.type === 'finish') {
            const o = part.usage.outputTokens
            // The stream's final metadata says it was continued, where, after how many characters.
            const sluice = { continued: [...sent.continued] }
            out.enqueue({
              ...part,
              providerMetadata: { ...part.providerMetadata, sluice },
              usage: {
                ...part.usage,
                outputTokens: {
                  ...o,
                  total: (o.total ?? 0) + brokenOutput,
                  text: (o.text ?? 0) + brokenOutput,
                },
              },
            })
            return
          }
          out.enqueue(part)
        },
      }),
    )
    .getReader()
}
