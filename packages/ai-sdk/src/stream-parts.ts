import type {
  LanguageModelV3Content,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider'

type Part = LanguageModelV3StreamPart
const CONTENT = new Set(['file', 'source', 'tool-call', 'tool-result', 'tool-approval-request'])

/**
 * Gathers a stream's parts into the generate result they spell out (text and reasoning joined per
 * id, tool calls, files and sources as they came), so a streamed answer is cached like a generated
 * one. Undefined until its `finish` part has come.
 */
export function assembler() {
  const content: LanguageModelV3Content[] = []
  const open = new Map<string, { type: 'text' | 'reasoning'; text: string }>()
  let warnings: LanguageModelV3GenerateResult['warnings'] = []
  let response: LanguageModelV3GenerateResult['response']
  let finish: Extract<Part, { type: 'finish' }> | undefined
  return {
    add(part: Part): void {
      if (part.type === 'text-start' || part.type === 'reasoning-start') {
        const entry = {
          type: part.type === 'text-start' ? ('text' as const) : ('reasoning' as const),
          text: '',
        }
        open.set(part.id, entry)
        content.push(entry as LanguageModelV3Content)
      } else if (part.type === 'text-delta' || part.type === 'reasoning-delta') {
        const entry = open.get(part.id)
        if (entry) entry.text += part.delta
      } else if (part.type === 'stream-start') warnings = part.warnings
      else if (part.type === 'response-metadata') {
        const { type: _t, ...meta } = part
        response = meta
      } else if (part.type === 'finish') finish = part
      else if (CONTENT.has(part.type)) content.push(part as LanguageModelV3Content)
    },
    result(): LanguageModelV3GenerateResult | undefined {
      if (!finish) return undefined
      return {
        content,
        finishReason: finish.finishReason,
        usage: finish.usage,
        warnings,
        ...(finish.providerMetadata ? { providerMetadata: finish.providerMetadata } : {}),
        ...(response ? { response } : {}),
      }
    },
  }
}

/** A generate result as the parts of a stream (a cache hit, or an answer shared with a stream). */
export function replay(r: LanguageModelV3GenerateResult): Part[] {
  const parts: Part[] = [{ type: 'stream-start', warnings: r.warnings }]
  if (r.response) parts.push({ type: 'response-metadata', ...r.response })
  for (const [i, c] of r.content.entries()) {
    const id = String(i)
    if (c.type === 'text') {
      parts.push(
        { type: 'text-start', id },
        { type: 'text-delta', id, delta: c.text },
        { type: 'text-end', id },
      )
    } else if (c.type === 'reasoning') {
      parts.push(
        { type: 'reasoning-start', id },
        { type: 'reasoning-delta', id, delta: c.text },
        { type: 'reasoning-end', id },
      )
    } else parts.push(c as Part)
  }
  parts.push({
    type: 'finish',
    usage: r.usage,
    finishReason: r.finishReason,
    ...(r.providerMetadata ? { providerMetadata: r.providerMetadata } : {}),
  })
  return parts
}
