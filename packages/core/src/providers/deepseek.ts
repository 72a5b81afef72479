import type { OpenAICompatibleOptions } from './openai-compatible'
import { openAICompatible } from './openai-compatible'
import type { Provider } from './types'

export type NamedProviderOptions = Partial<OpenAICompatibleOptions>

/** DeepSeek's API. Pass `baseURL` to point it at a proxy or the simulator. */
export function deepseek(options: NamedProviderOptions = {}): Provider {
  return openAICompatible({
    name: 'deepseek',
    baseURL: 'https://api.deepseek.com',
    models: ['deepseek-chat', 'deepseek-reasoner'],
    defaultModel: 'deepseek-chat',
    ...options,
  })
}
