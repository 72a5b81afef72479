import { defineConfig } from 'tsup'
import { sluiceBuild } from '../../tsup.base'

export default defineConfig(sluiceBuild({ index: 'src/index.ts' }))
