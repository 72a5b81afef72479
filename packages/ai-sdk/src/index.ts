export type { ContextOf } from './call-context'
export { aiSdkRunner } from './runner'
export { type SluiceMiddlewareOptions, sluiceMiddleware } from './sluice-middleware'
