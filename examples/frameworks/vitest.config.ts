import { defineProject } from 'vitest/config'

export default defineProject({ test: { name: 'example-frameworks', include: ['*.test.ts'] } })
