import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { Script } from '../src/scripts'

// The adapter ships each script's SHA-1 written out (no hashing, no Node built-in at load, so it
// runs on edge runtimes with the Upstash client). A wrong hash would still work — EVALSHA fails,
// EVAL runs — at twice the round trips on every call; this test keeps them right.
const src = fileURLToPath(new URL('../src/', import.meta.url))
const modules = readdirSync(src).filter((f) => f.endsWith('-scripts.ts'))

describe('Lua scripts', () => {
  it('every script carries the SHA-1 of its source', async () => {
    const scripts: [string, Script][] = []
    for (const file of modules) {
      const mod = (await import(`../src/${file}`)) as Record<string, unknown>
      for (const [name, value] of Object.entries(mod)) {
        if (value && typeof value === 'object' && 'source' in value)
          scripts.push([`${file}:${name}`, value as Script])
      }
    }
    expect(scripts.length).toBeGreaterThan(0)
    for (const [name, s] of scripts) {
      expect({ name, sha: s.sha }).toEqual({ name, sha: createHash('sha1').update(s.source).digest('hex') })
    }
  })

  it('the adapter imports no Node built-in', () => {
    for (const file of readdirSync(src)) {
      expect({ file, node: /from 'node:/.test(readFileSync(`${src}${file}`, 'utf8')) }).toEqual({
        file,
        node: false,
      })
    }
  })
})
