import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'example-language-tutor',
    include: ['*.test.ts'],
    testTimeout: 120_000,
    globalSetup: ['../../scripts/services-setup.ts'],
  },
})
