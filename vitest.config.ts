import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      'packages/*',
      'examples/http-server',
      'examples/frameworks',
      'examples/language-tutor',
      'bench',
    ],
    // Every test by name, so a run shows which backends the conformance suite ran against.
    reporters: ['verbose'],
  },
})
