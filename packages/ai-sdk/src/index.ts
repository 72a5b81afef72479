export type { ContextOf } from './call-context'
export { type SluiceMiddlewareOptions, sluiceMiddleware } from './sluice-middleware'
