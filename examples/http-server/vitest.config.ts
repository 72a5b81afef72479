import { defineProject } from 'vitest/config'

export default defineProject({ test: { name: 'example-http-server', include: ['*.test.ts'] } })
