import type { Call } from '../../chain/types'
import { estimatePromptTokens } from '../../cost/estimate'

/**
 * The call's estimated prompt tokens, computed once and kept on the call: the rate limit (for
 * token rules) and the budget (for the worst-case cost) both need it.
 */
export function promptTokensOf(call: Call): number {
  call.steps.promptTokens ??= call.request ? estimatePromptTokens(call.request) : 0
  return call.steps.promptTokens
}
