import { z } from 'zod'
import { dictSchema } from '../config/dict-schema'
import { durationSchema } from '../config/duration-schema'
import { idSchema } from '../config/id-schema'
import { ruleSchema, tierBudgetSchema } from '../config/limits-schema'

/**
 * What an override changes for one user or group while it lasts: the user's tier, their limits
 * per endpoint, their (or the group's) daily and monthly budget, or a block.
 */
export const overrideSchema = z
  .object({
    /** The user's tier while it lasts (a support grant, a trial of premium). Users only. */
    tier: idSchema.optional(),
    /** The user's rule per endpoint, in place of their tier's. Users only. */
    limits: dictSchema(ruleSchema).optional(),
    /** The budget in place of the tier's (a user) or of `budget.group(s)` (a group): bought credits. */
    budget: tierBudgetSchema.optional(),
    /** Every call refused with `forbidden` while it lasts. */
    blocked: z.boolean().optional(),
    /** Why, for the audit trail (the event, the log). */
    reason: z.string().max(500).optional(),
  })
  .strict()

export const overrideOptionsSchema = z
  .object({
    /** How long it lasts; then every instance is back to the configuration. */
    ttl: durationSchema.refine((ms) => ms > 0, { message: 'give a ttl longer than zero' }),
    /** Who set it, for the audit trail. */
    by: z.string().max(200).optional(),
  })
  .strict()

export const overrideTargetSchema = z.union([
  z.object({ userId: idSchema }).strict(),
  z.object({ group: idSchema }).strict(),
])

export type OverrideInput = z.input<typeof overrideSchema>
export type Override = z.output<typeof overrideSchema>
export type OverrideTarget = z.output<typeof overrideTargetSchema>

/** An override as the store keeps it and `get` reads it back. */
export interface StoredOverride extends Override {
  setAt: number
  expiresAt: number
  by?: string
}

/** What `override:set` and `override:cleared` tell (the audit trail). */
export interface OverrideEvent {
  target: OverrideTarget
  override?: StoredOverride
  by?: string
}
