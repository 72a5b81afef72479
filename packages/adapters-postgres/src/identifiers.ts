import { createHash } from 'node:crypto'
import { SluiceError } from '@sluice/core/adapter'

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/

/** Validates and double-quotes a schema name (it is interpolated into SQL, so it must be strict). */
export function quoteSchema(schema: string): string {
  if (typeof schema !== 'string' || !IDENT.test(schema)) {
    throw new SluiceError('invalid_config', `postgresStore: schema: '${schema}' must match ${IDENT}`, {
      path: 'postgresStore.schema',
    })
  }
  return `"${schema}"`
}

/**
 * The schema's LISTEN/NOTIFY channel: `sluice_<schema>`, an identifier of at most 63 bytes. A
 * longer one keeps the start of the name and ends in a hash of all of it, so two long schema
 * names that share their first 56 characters still get channels of their own.
 */
export function channelFor(schema: string): string {
  const plain = `sluice_${schema}`
  if (plain.length <= 63) return plain
  return `sluice_${schema.slice(0, 40)}_${createHash('sha1').update(schema).digest('hex').slice(0, 15)}`
}

/** A text as a single-quoted SQL literal (for names built into migrations' SQL). */
export const sqlLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`
