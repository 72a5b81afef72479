export { type Admission, type AdmissionCheck, checkAdmissions } from './admissions'
export { type ConformanceApi, type ConformanceOptions, storeConformance } from './conformance'
export { rateLimitConformance } from './rate-limit-conformance'
