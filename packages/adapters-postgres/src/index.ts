export { migrate } from './migrate'
export { MIGRATIONS } from './migrations'
export { type PostgresStore, type PostgresStoreOptions, postgresStore } from './postgres-store'
