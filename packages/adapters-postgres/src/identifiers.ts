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
