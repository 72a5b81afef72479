import type { OpenAICompatibleOptions } from './openai-compatible'
import { openAICompatible } from './openai-compatible'
import type { Provider } from './types'

export type NamedProviderOptions = Partial<OpenAICompatibleOptions>

/**
 * DeepSeek's API. Pass `baseURL` to point it at a proxy or the simulator. A stream's continuation
 * uses DeepSeek's prefix completion (its `/beta`) unless `baseURL` points elsewhere without a
 * `prefixURL` of its own.
 */
export function deepseek(options: NamedProviderOptions = {}): Provider {
  return openAICompatible({
    name: 'deepseek',
    baseURL: 'https://api.deepseek.com',
    ...(options.baseURL === undefined ? { prefixURL: 'https://api.deepseek.com/beta' } : {}),
    models: ['deepseek-chat', 'deepseek-reasoner'],
    defaultModel: 'deepseek-chat',
    ...options,
  })
}
