// Makes sure Debian's Chromium is installed for the dashboard's browser test (playwright-core
// drives /usr/bin/chromium), installing it with apt-get when it is missing. Fails with how-to text.
import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const HOW = `install Chromium with: apt-get install -y chromium  (Debian's package; or set CHROMIUM_PATH)`

export function ensureChromium() {
  if (existsSync(CHROMIUM)) return
  if (process.getuid?.() !== 0) throw new Error(`Chromium is not at ${CHROMIUM}; ${HOW}`)
  const run = (cmd) =>
    execSync(cmd, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  console.log('Installing Debian chromium for the browser tests…')
  try {
    run('apt-get install -y --no-install-recommends chromium')
  } catch {
    run('apt-get update')
    run('apt-get install -y --no-install-recommends chromium')
  }
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium did not install at ${CHROMIUM}; ${HOW}`)
}

if (import.meta.url === `file://${process.argv[1]}`) ensureChromium()
