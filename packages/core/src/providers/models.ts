import type { Provider } from './types'

/**
 * The model `provider` would send for a request that asks for `requested`, or undefined when it
 * serves no such model. A provider never answers with a model nobody asked for.
 */
export function modelFor(provider: Provider, requested: string): string | undefined {
  if (provider.resolveModel) return provider.resolveModel(requested)
  return provider.models.includes(requested) ? requested : undefined
}
