// What each package's tarball holds: `npm pack --dry-run` lists exactly what the registry would
// get. Every file is the manifest, a readme or licence, or built output under dist/ (no sources,
// tests or fixtures), and every entry point the manifest names is in it.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const packages = fileURLToPath(new URL('../../', import.meta.url))
const PUBLISHED = ['core', 'adapters-redis', 'adapters-postgres', 'simulator', 'ai-sdk', 'dashboard']

/** Every file path the manifest points at: main, module, types, bin and each export condition. */
function entryPoints(manifest: Record<string, unknown>): string[] {
  const found: string[] = []
  const walk = (v: unknown) => {
    if (typeof v === 'string') found.push(v.replace(/^\.\//, ''))
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x)
  }
  for (const field of ['main', 'module', 'types', 'bin', 'exports']) walk(manifest[field])
  return [...new Set(found)]
}

describe.each(PUBLISHED)('the %s tarball', (folder) => {
  it('holds the manifest and built output only, and every entry point', () => {
    const dir = join(packages, folder)
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: dir,
        encoding: 'utf8',
      }),
    ) as [{ files: { path: string }[] }]
    const files = packed.files.map((f) => f.path)
    const stray = files.filter(
      (f) => !/^(package\.json|README(\.md)?|LICENSE(\.md)?)$/i.test(f) && !f.startsWith('dist/'),
    )
    expect(stray).toEqual([])
    expect(files.filter((f) => /\.test\.|fixtures?\/|\.tsbuildinfo$/.test(f))).toEqual([])
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>
    const missing = entryPoints(manifest).filter((p) => !files.includes(p))
    expect(missing).toEqual([])
  }, 60_000)
})
