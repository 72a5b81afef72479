// A REST front for the real Redis, speaking the protocol of the Upstash REST API (POST a JSON
// command array, get `{ result }`, strings base64-encoded when asked), so the real
// @upstash/redis client can be tested against the same real server as ioredis.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Redis } from 'ioredis'

function encode(value: unknown): unknown {
  if (typeof value === 'string') return Buffer.from(value).toString('base64')
  if (Array.isArray(value)) return value.map(encode)
  return value
}

export async function startUpstashBridge(redisUrl: string, token: string) {
  const redis = new Redis(redisUrl)
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', async () => {
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(payload))
      }
      if (req.headers.authorization !== `Bearer ${token}`) return reply(401, { error: 'Unauthorized' })
      const base64 = req.headers['upstash-encoding'] === 'base64'
      const run = async ([command, ...args]: (string | number)[]) => {
        try {
          const result = await redis.call(String(command), ...args.map(String))
          return { result: base64 ? encode(result) : result }
        } catch (error) {
          return { error: (error as Error).message }
        }
      }
      const parsed = JSON.parse(body) as (string | number)[] | (string | number)[][]
      // The client auto-pipelines: POST /pipeline carries several commands, answered in order.
      if (Array.isArray(parsed[0]))
        return reply(200, await Promise.all((parsed as (string | number)[][]).map(run)))
      const one = await run(parsed as (string | number)[])
      reply('error' in one ? 400 : 200, one)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await redis.quit()
    },
  }
}
