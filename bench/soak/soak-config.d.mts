export declare const SOAK: {
  users: number
  hotUsers: number
  hotShare: number
  prompts: number
  mix: [string, number][]
  limit: number
  windowMs: number
  budgetUsd: number
  callBoundUsd: number
  tiers: Record<string, unknown>
  cacheTtl: string
  lease: string
  queuedTimeout: string
  jobDeadlineMs: number
  maxInFlight: number
  jobRetention: string
  usageRows: number
  usageRollupAfter: string
  housekeeping: string
}
