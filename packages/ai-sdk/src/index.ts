export type { ContextOf } from './call-context'
export { aiSdkRunner, type SluiceMiddlewareOptions, sluiceMiddleware } from './sluice-middleware'
