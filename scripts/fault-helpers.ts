// Helpers for the fault tests that freeze, kill and restart a server of their own.

/** Runs `fn` and says how long it took, whether it resolved or rejected. */
export async function timed<T>(fn: () => Promise<T>) {
  const started = performance.now()
  try {
    return { value: await fn(), ms: performance.now() - started }
  } catch (error) {
    return { error: error as { code?: string }, ms: performance.now() - started }
  }
}

/** Polls `check` until it is true; throws when it is not within `ms`. */
export async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('did not recover')
}

/** How many of the results were admitted calls. */
export const allowedOf = (results: { value?: { allowed: boolean } }[]) =>
  results.filter((r) => r.value?.allowed).length

/** Collects unhandled rejections (and, with `crashes`, uncaught exceptions) while a test file runs. */
export function watchProcess() {
  const unhandled: unknown[] = []
  const crashes: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)
  const onCrash = (error: unknown) => crashes.push(error)
  return {
    unhandled,
    crashes,
    start() {
      process.on('unhandledRejection', onUnhandled)
      process.on('uncaughtException', onCrash)
    },
    stop() {
      process.off('unhandledRejection', onUnhandled)
      process.off('uncaughtException', onCrash)
    },
  }
}
