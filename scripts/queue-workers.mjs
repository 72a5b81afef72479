// Child side of the cross-process queue tests: one worker process on a shared store. Prints
// 'ready' once its worker runs; SIGTERM stops it cleanly. argv after the store's own: mode, then
// the mode's own.
//   crash <log file>  runs 'crash' jobs (20 ms each) and writes a line to its log, synchronously,
//                     when a run starts and when it ends or is aborted, so a SIGKILL leaves a
//                     true record
//   push              runs 'push' jobs (doubles the number) and polls only every 10 minutes:
//                     it must be woken by the store's push
//   chat <sim URL>    an app instance (createSluice) whose worker runs queued chat calls
//   batch <sim URL>   the same, with translations batched per target language (window 1 s)
//   groups <sim URL>  the same, one batch at a time of at most 10 (window 20 ms): its claims must
//                     bring it whole groups
import { openSync, writeSync } from 'node:fs'

const LAZY = { pollInterval: '10m' }
const untilTerm = () => new Promise((resolve) => process.once('SIGTERM', resolve))

export async function queueWorker({ QueueClient, createSluice, deepseek }, store, [mode, arg]) {
  if (mode === 'chat' || mode === 'batch' || mode === 'groups') {
    const byLanguage = (req) => String(req.messages[0]?.content)
    const batching = {
      chat: {},
      batch: {
        queue: { concurrency: 50, batchSize: 50 },
        batch: { translate: { groupBy: byLanguage, maxSize: 50, windowMs: 1000 } },
      },
      groups: {
        queue: { concurrency: 1 },
        batch: { translate: { groupBy: byLanguage, maxSize: 10, windowMs: 20 } },
      },
    }[mode]
    const sluice = createSluice({
      store,
      providers: [deepseek({ baseURL: arg, apiKey: 'sim' })],
      tiers: { free: { budget: { daily: 1 } } },
      queue: { worker: true, ...LAZY, ...batching.queue },
      ...(batching.batch ? { batch: batching.batch } : {}),
    })
    console.log('ready')
    await untilTerm()
    return sluice.close()
  }
  const queue = new QueueClient({
    store,
    lease: '2s',
    ...(mode === 'push' ? LAZY : { pollInterval: '200ms' }),
  })
  const worker =
    mode === 'push'
      ? queue.process('push', async ({ data }) => data * 2)
      : queue.process('crash', crashHandler(arg), { concurrency: 8, batchSize: 8 })
  console.log('ready')
  await untilTerm()
  await worker.stop()
  await queue.close()
}

function crashHandler(logFile) {
  const log = openSync(logFile, 'a')
  const note = (kind, id) => writeSync(log, `${kind} ${id} ${Date.now()}\n`)
  return async ({ id, data, signal }) => {
    note('S', id)
    try {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, 20) // the job's work
        signal.addEventListener('abort', () => {
          clearTimeout(timer)
          reject(new Error('lease lost'))
        })
      })
    } catch (error) {
      note('A', id)
      throw error
    }
    note('E', id)
    return data
  }
}
