import type { Options } from 'tsup'

/** One build shape for every package: ESM + CJS + types, sourcemaps, no bundled deps. */
export function sluiceBuild(entry: Record<string, string>, extra: Partial<Options> = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: false,
    treeshake: true,
    ...extra,
  }
}
