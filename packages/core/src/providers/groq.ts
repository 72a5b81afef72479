import type { NamedProviderOptions } from './deepseek'
import { openAICompatible } from './openai-compatible'
import type { Provider } from './types'

/** Groq's OpenAI-compatible API. Pass `baseURL` to point it at a proxy or the simulator. */
export function groq(options: NamedProviderOptions = {}): Provider {
  return openAICompatible({
    name: 'groq',
    baseURL: 'https://api.groq.com/openai/v1',
    models: ['llama-3.3-70b-versatile', 'llama-3.1-8b-instant', 'openai/gpt-oss-20b', 'openai/gpt-oss-120b'],
    defaultModel: 'llama-3.3-70b-versatile',
    ...options,
  })
}
