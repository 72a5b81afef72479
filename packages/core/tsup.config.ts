import { defineConfig } from 'tsup'
import { sluiceBuild } from '../../tsup.base'

export default defineConfig(
  sluiceBuild({
    index: 'src/index.ts',
    adapter: 'src/adapter/index.ts',
    http: 'src/http/index.ts',
    testing: 'src/testing/index.ts',
  }),
)
