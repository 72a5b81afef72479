import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

describe('examples/language-tutor', () => {
  it('runs with its one command and exits 0 with a summary', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./main.ts', import.meta.url))],
      {
        encoding: 'utf8',
        timeout: 110_000,
      },
    )
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' })
    expect(run.stdout).toContain('rate-limited (ana: 14 checks, 10/min, across both instances)  4')
    expect(run.stdout).toContain('user_costs: ana')
    expect(run.stdout).toContain('language tutor OK')
  })
})
