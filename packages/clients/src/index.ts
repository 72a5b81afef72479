export { CALLER_HEADERS, type CallerOption } from './caller'
export { type ChatClientLike, type SluiceClientOptions, sluiceClient } from './sluice-client'
export { type FetchLike, type SluiceFetchOptions, sluiceFetch } from './sluice-fetch'
