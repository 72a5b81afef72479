import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'clients',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['../../scripts/services-setup.ts'],
    testTimeout: 60_000,
  },
})
