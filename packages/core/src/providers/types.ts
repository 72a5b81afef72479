/** The OpenAI chat shapes Sluice speaks, trimmed to the fields it reads; others pass through. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | 'developer'
  content: string | null
  name?: string
  [extra: string]: unknown
}

export interface ChatRequest {
  model: string
  messages: ChatMessage[]
  max_tokens?: number
  temperature?: number
  stream?: boolean
  [extra: string]: unknown
}

export interface Usage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  /** DeepSeek context-cache hits (cheaper input tokens). */
  prompt_cache_hit_tokens?: number
  prompt_cache_miss_tokens?: number
}

export interface ChatCompletion {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: { index: number; message: ChatMessage; finish_reason: string | null }[]
  usage?: Usage
  [extra: string]: unknown
}

export interface ChatChunk {
  id: string
  object: 'chat.completion.chunk'
  created: number
  model: string
  choices: { index: number; delta: Partial<ChatMessage>; finish_reason: string | null }[]
  usage?: Usage | null
}

export interface CallOptions {
  signal?: AbortSignal
  /**
   * Told the headers of the provider's response, a refusal's too (its `x-ratelimit-*` teach
   * Sluice the provider's limits and what is left). Optional for custom providers.
   */
  onHeaders?: (headers: Headers) => void
  /** For a provider with a key pool (`keys`): the name of the key to send this call with. */
  key?: string
  /** Per-attempt timeout in ms; the provider's own default otherwise. */
  timeoutMs?: number
}

/** One upstream LLM API. `openAICompatible()` builds these; users may write their own. */
export interface Provider {
  readonly name: string
  /** Models this provider serves. */
  readonly models: readonly string[]
  readonly defaultModel: string
  /** A key pool's key names (never the keys): each has its own capacity; calls pick by room. */
  readonly keys?: readonly string[]
  /**
   * The model to send for a request that asks for `requested` (itself, or a mapped stand-in on a
   * fallback provider), or undefined when this provider cannot answer it. Without it, a provider
   * serves exactly `models`.
   */
  resolveModel?(requested: string): string | undefined
  chat(request: ChatRequest, options?: CallOptions): Promise<ChatCompletion>
  stream(request: ChatRequest, options?: CallOptions): AsyncIterable<ChatChunk>
}
