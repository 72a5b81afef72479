import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { type Sluice, SluiceError } from '@sluice/core'
import { page } from './page'
import { snapshot } from './snapshot'
import { eventStream, SnapshotFeed } from './snapshot-feed'

export interface DashboardOptions {
  sluice: Sluice
  /**
   * Whether this request may see the dashboard (the app's own auth: a session, an admin role).
   * Required: no dashboard is public by accident; `() => true` says so on purpose.
   */
  authorize: (request: Request) => boolean | Promise<boolean>
  /** Where it is mounted, e.g. '/sluice' (default). */
  basePath?: string
  /**
   * How often open pages get fresh numbers, in ms (default 2000): pushed as server-sent events
   * (`events`), one stats read per interval for every page open on this instance.
   */
  refreshMs?: number
}

const require = createRequire(import.meta.url)
/** The files beside the page, by the path asked for (a Map: a path is user input). */
const ASSETS = new Map([
  ['uplot.js', { file: 'uplot/dist/uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' }],
  ['uplot.css', { file: 'uplot/dist/uPlot.min.css', type: 'text/css; charset=utf-8' }],
])

export type DashboardHandler = ((request: Request) => Promise<Response | undefined>) & {
  /** Pages listening to this instance's events now. */
  readonly listeners: number
}

/**
 * The live dashboard as a fetch handler: `(request) => Response`, or undefined for a path outside
 * `basePath`. Mount it with `toNodeHandler` (node:http, Express) or as a Hono route.
 */
export function dashboard(o: DashboardOptions): DashboardHandler {
  if (typeof o.authorize !== 'function') {
    throw new SluiceError(
      'invalid_config',
      'dashboard: authorize(request) is required (no dashboard is public by accident)',
      {
        path: 'authorize',
      },
    )
  }
  const base = `/${(o.basePath ?? '/sluice').replace(/^\/+|\/+$/g, '')}`
  if (o.refreshMs !== undefined && !Number.isFinite(o.refreshMs)) {
    throw new SluiceError('invalid_config', 'dashboard: refreshMs: expected a number of ms', {
      path: 'refreshMs',
    })
  }
  const refreshMs = Math.max(250, o.refreshMs ?? 2_000) // as the page always clamped it
  const feed = new SnapshotFeed(() => snapshot(o.sluice), refreshMs)
  const assets = new Map<string, Promise<string>>()
  const asset = (name: string) => {
    let text = assets.get(name)
    if (!text) {
      text = readFile(require.resolve(ASSETS.get(name)!.file), 'utf8')
      text.catch(() => assets.delete(name))
      assets.set(name, text)
    }
    return text
  }
  const handle = async (request: Request) => {
    const { pathname } = new URL(request.url)
    if (pathname !== base && !pathname.startsWith(`${base}/`)) return undefined
    if (request.method !== 'GET') return new Response('method not allowed', { status: 405 })
    if (!(await o.authorize(request))) return new Response('forbidden', { status: 403 })
    const rest = pathname.slice(base.length + 1)
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }
    if (pathname === base) return new Response(null, { status: 308, headers: { location: `${base}/` } })
    if (rest === '')
      return new Response(page(refreshMs), {
        headers: { ...headers, 'content-type': 'text/html; charset=utf-8' },
      })
    if (rest === 'stats.json') return Response.json(await snapshot(o.sluice), { headers })
    if (rest === 'events') return eventStream(feed, request.signal, headers)
    const a = ASSETS.get(rest)
    if (a) return new Response(await asset(rest), { headers: { 'content-type': a.type } })
    return new Response('not found', { status: 404 })
  }
  return Object.defineProperty(handle, 'listeners', { get: () => feed.listeners }) as DashboardHandler
}
