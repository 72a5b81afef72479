export { type ConformanceApi, type ConformanceOptions, storeConformance } from './conformance'
export { rateLimitConformance } from './rate-limit-conformance'
