// A realistic mixed load for the language-tutor app of the seed: many users on three tiers, three
// endpoints, and questions that repeat (a few are very popular), from a seeded generator.

export type TierName = 'free' | 'premium' | 'superadmin'

export interface Job {
  userId: string
  tier: TierName
  endpoint: 'translate' | 'check_answer' | 'ask_teacher'
  content: string
}

function rng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const PHRASES = [
  'good morning',
  'where is the station',
  'I would like a coffee',
  'how much is it',
  'see you tomorrow',
  'the weather is nice',
  'I am learning Spanish',
  'can you help me',
  'what time is it',
  'I live in Madrid',
  'my favourite food is paella',
  'we are going to the beach',
  'do you speak English',
  'nice to meet you',
  'thank you very much',
]

export function workload(total: number, seed = 7): Job[] {
  const random = rng(seed)
  const users: { id: string; tier: TierName }[] = [
    ...Array.from({ length: 40 }, (_, i) => ({ id: `free-${i}`, tier: 'free' as const })),
    ...Array.from({ length: 15 }, (_, i) => ({ id: `premium-${i}`, tier: 'premium' as const })),
    ...Array.from({ length: 2 }, (_, i) => ({ id: `admin-${i}`, tier: 'superadmin' as const })),
  ]
  // A few heavy users make rate limits matter.
  const pickUser = () =>
    random() < 0.25 ? users[Math.floor(random() * 4)]! : users[Math.floor(random() * users.length)]!
  // Popular phrases come up far more often (roughly Zipf), so the cache has something to do.
  const pickPhrase = () =>
    PHRASES[Math.min(PHRASES.length - 1, Math.floor(PHRASES.length * random() ** 2.5))]!
  return Array.from({ length: total }, () => {
    const user = pickUser()
    const r = random()
    const endpoint = r < 0.5 ? 'translate' : r < 0.85 ? 'check_answer' : 'ask_teacher'
    const content =
      endpoint === 'translate'
        ? `Translate to Spanish: ${pickPhrase()}`
        : endpoint === 'check_answer'
          ? `Is "${pickPhrase()}" correct Spanish for the exercise?`
          : `Teacher, explain the grammar of: ${pickPhrase()} (asked by ${user.id})`
    return { userId: user.id, tier: user.tier, endpoint, content }
  })
}
