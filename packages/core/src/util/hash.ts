type NodeCreateHash = (algorithm: string) => { update(data: string): { digest(encoding: 'hex'): string } }

let nodeCreateHash: NodeCreateHash | null | undefined

async function loadNodeHash(): Promise<NodeCreateHash | null> {
  if (nodeCreateHash !== undefined) return nodeCreateHash
  try {
    const mod = (await import('node:crypto')) as unknown as { createHash: NodeCreateHash }
    nodeCreateHash = mod.createHash
  } catch {
    nodeCreateHash = null // edge runtime: fall back to Web Crypto
  }
  return nodeCreateHash
}

/** Hex SHA-256. node:crypto where it exists (synchronous and fast), Web Crypto elsewhere. */
export async function sha256Hex(text: string): Promise<string> {
  const createHash = nodeCreateHash ?? (await loadNodeHash())
  if (createHash) return createHash('sha256').update(text).digest('hex')
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  let hex = ''
  for (const b of bytes) hex += b.toString(16).padStart(2, '0')
  return hex
}

export function randomId(): string {
  return crypto.randomUUID()
}
