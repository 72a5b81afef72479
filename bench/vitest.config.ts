import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'soak',
    include: ['soak/**/*.test.ts'],
    globalSetup: ['../scripts/services-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
  },
})
