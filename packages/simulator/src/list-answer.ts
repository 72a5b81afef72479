import { type Answer, answerFor, type SimMessage } from './answer'

/**
 * A list-in/list-out prompt, as a model that follows the instruction answers it: a system
 * message asking for a JSON array, and a user message that is a JSON array of strings. Each item
 * gets the answer it would get asked alone; `malformed` drops the last one, as a model that
 * lost count would. Undefined for any other prompt.
 */
export function listAnswerFor(
  model: string,
  messages: SimMessage[],
  maxTokens: number,
  malformed: boolean,
): Answer | undefined {
  const system = messages.find((m) => m.role === 'system')
  const user = [...messages].reverse().find((m) => m.role === 'user')
  if (typeof system?.content !== 'string' || !system.content.includes('JSON array')) return undefined
  if (typeof user?.content !== 'string' || !user.content.startsWith('[')) return undefined
  let items: unknown
  try {
    items = JSON.parse(user.content)
  } catch {
    return undefined
  }
  if (!Array.isArray(items) || !items.every((i) => typeof i === 'string') || items.length === 0)
    return undefined
  const each = Math.max(1, Math.floor(maxTokens / items.length))
  const answers = items.map((item) => answerFor(model, [{ role: 'user', content: item }], each).content)
  if (malformed) answers.pop()
  return { content: JSON.stringify(answers), finishReason: 'stop' }
}
