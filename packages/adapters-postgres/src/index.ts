export { postgresStore, type PostgresStore, type PostgresStoreOptions } from './postgres-store'
export { migrate } from './migrate'
export { MIGRATIONS } from './migrations'
