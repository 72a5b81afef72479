export { type DashboardHandler, type DashboardOptions, dashboard } from './dashboard'
export { toNodeHandler } from './node-handler'
export type { Snapshot } from './snapshot'
