import { z } from 'zod'
import { idProblem } from '../util/keys'

/** A name or id: non-blank, at most 256 chars, no control characters, well-formed Unicode. */
export const idSchema = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
})
