// One process of the tutor: an app instance that serves its students' load (queued; answers come
// by push), or the worker that runs the queued calls. argv: role, the run's JSON settings.
import { createSluice, deepseek, SluiceError } from '@sluice/core'
import { agents, type Student } from './agents'
import { tutorOptions } from './scaling-config'
import { tutorStore, type Where } from './store'

const [role, settings] = process.argv.slice(2) as ['app-a' | 'app-b' | 'worker', string]
const s = JSON.parse(settings) as Where & { simUrl: string }
const sluice = createSluice({
  ...tutorOptions,
  store: tutorStore(s),
  providers: [deepseek({ baseURL: s.simUrl, apiKey: 'sim' })],
  queue: { ...tutorOptions.queue, worker: role === 'worker' },
})

if (role === 'worker') {
  console.log('ready')
  await new Promise((r) => process.once('SIGTERM', r))
  await sluice.close()
  process.exit(0)
}

// Each instance serves its own students, and ana uses both (her limits are shared).
const ana: Student = { id: 'ana', tier: 'free' }
const students: Student[] =
  role === 'app-a' ? [ana, { id: 'ben', tier: 'premium' }] : [ana, { id: 'cai', tier: 'free' }]
const tutor = agents(sluice)
const tasks: Promise<{ text: string; meta: { cached: boolean; coalesced: boolean; batched?: boolean } }>[] =
  []
for (const st of students) {
  for (let i = 0; i < 7; i++) tasks.push(tutor.checkAnswer(st, `Conjugate "ser", exercise ${i}`, `soy ${i}`))
  for (const [i, word] of ['house', 'dog', 'book', 'tree', 'river'].entries()) {
    tasks.push(tutor.translate(st, `the ${word}`, i % 2 ? 'French' : 'German'))
  }
  tasks.push(tutor.generateExamples(st, 'aprender'))
  tasks.push(tutor.askTeacher(st, `When do I use "por" and when "para"? (${st.id})`))
}
const results = await Promise.allSettled(tasks)
const tally = {
  answered: 0,
  cached: 0,
  coalesced: 0,
  batched: 0,
  refused: {} as Record<string, number>,
  unexpected: [] as string[],
}
for (const r of results) {
  if (r.status === 'fulfilled') {
    tally.answered++
    if (r.value.meta.cached) tally.cached++
    if (r.value.meta.coalesced) tally.coalesced++
    if (r.value.meta.batched) tally.batched++
  } else if (SluiceError.is(r.reason) && ['rate_limited', 'budget_exceeded'].includes(r.reason.code)) {
    tally.refused[r.reason.code] = (tally.refused[r.reason.code] ?? 0) + 1
  } else tally.unexpected.push(String(r.reason))
}
const stats = await sluice.stats()
await sluice.close()
console.log(JSON.stringify({ role, requests: tasks.length, ...tally, saved: stats.saved }))
