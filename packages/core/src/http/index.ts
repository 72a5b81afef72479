export { type ExpressRequestLike, type ExpressResponseLike, sluiceExpress } from './express'
export { type HonoContextLike, sluiceHono } from './hono'
export { contextOf, type Identify } from './identity'
