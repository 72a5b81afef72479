// A stand-in for an app that installed Sluice from the registry: the built packages copied (their
// package.json and dist, as a tarball holds them) into a temporary node_modules beside only the
// dependencies named, linked from the workspace's own install.
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

export interface Consumer {
  dir: string
  write(file: string, text: string): void
  remove(): void
}

/** The real directory of an installed package, as `from` (a workspace package folder) sees it. */
function installed(name: string, from: string): string {
  const require = createRequire(join(root, from, 'package.json'))
  let dir = dirname(require.resolve(`${name}/package.json`))
  try {
    dir = realpathSync(dir)
  } catch {}
  return dir
}

/**
 * `sluice`: workspace package folders to install (e.g. 'packages/core'); `deps`: other packages,
 * each as [name, the workspace folder whose install provides it].
 */
export function consumer(sluice: string[], deps: [string, string][]): Consumer {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-consumer-'))
  for (const folder of sluice) {
    const pkg = (createRequire(import.meta.url)(join(root, folder, 'package.json')) as { name: string }).name
    const target = join(dir, 'node_modules', pkg)
    mkdirSync(target, { recursive: true })
    cpSync(join(root, folder, 'package.json'), join(target, 'package.json'))
    cpSync(join(root, folder, 'dist'), join(target, 'dist'), { recursive: true })
  }
  for (const [name, from] of deps) {
    const link = join(dir, 'node_modules', name)
    mkdirSync(dirname(link), { recursive: true })
    symlinkSync(installed(name, from), link, 'dir')
  }
  return {
    dir,
    write: (file, text) => writeFileSync(join(dir, file), text),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
