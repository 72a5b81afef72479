import type { PortName, Store } from '../store/store'

/** The few matchers the suite uses; vitest's and jest's `expect` both fit. */
export interface Matchers {
  toBe(expected: unknown): void
  toEqual(expected: unknown): void
  toBeGreaterThan(n: number): void
  toBeGreaterThanOrEqual(n: number): void
  toBeLessThan(n: number): void
  toBeLessThanOrEqual(n: number): void
  toBeUndefined(): void
  not: Matchers
}

/** Test-runner functions, passed in so the suite runs under any runner. */
export interface ConformanceApi {
  describe(name: string, fn: () => void): void
  it(name: string, fn: () => Promise<void>, timeoutMs?: number): void
  expect(value: unknown): Matchers
  afterAll(fn: () => Promise<void>): void
}

export interface ConformanceOptions {
  /** Shown in test names, e.g. `redis`. */
  name: string
  /**
   * A fresh store under its own key prefix / schema, so tests never see each other's data. The
   * queue checks ask for a short retention of finished jobs through `options`.
   */
  makeStore(prefix: string, options?: { jobRetentionMs?: number }): Promise<Store> | Store
  /** Ports to check; by default every port the store provides. */
  ports?: PortName[]
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let counter = 0
export function uniquePrefix(name: string): string {
  counter++
  return `t_${name}_${process.pid}_${Date.now().toString(36)}_${counter}`.replace(/[^a-zA-Z0-9_]/g, '_')
}
