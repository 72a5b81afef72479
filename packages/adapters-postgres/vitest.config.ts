import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'postgres',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['../../scripts/services-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
