/**
 * What a stream's continuation asks for after the partial answer; a provider with prefix
 * completion (`prefixURL`) sends the partial answer as its prefix instead.
 */
export const CONTINUE_INSTRUCTION =
  'Continue your answer exactly where it stopped, mid-word if it stopped mid-word. Do not repeat anything already written.'
