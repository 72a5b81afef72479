export { storeConformance, type ConformanceApi, type ConformanceOptions } from './conformance'
export { rateLimitConformance } from './rate-limit-conformance'
