import { defineConfig } from 'tsup'
import { sluiceBuild } from '../../tsup.base'

export default defineConfig([
  sluiceBuild({ index: 'src/index.ts' }),
  sluiceBuild(
    { cli: 'src/cli.ts' },
    { format: ['esm'], dts: false, clean: false, banner: { js: '#!/usr/bin/env node' } },
  ),
])
