/**
 * The part of `@opentelemetry/api` Sluice uses, described by shape: the app passes the module it
 * installed (`import * as otel from '@opentelemetry/api'`), so core imports nothing of it and
 * costs nothing without it.
 */
export type AttributeValue = string | number | boolean

export interface SpanLike {
  setAttribute(key: string, value: AttributeValue): unknown
  setStatus(status: { code: number; message?: string }): unknown
  recordException(exception: unknown): unknown
  end(): void
}

export interface TracerLike {
  startSpan(
    name: string,
    options?: { kind?: number; attributes?: Record<string, AttributeValue> },
    context?: unknown,
  ): SpanLike
}

export interface OtelApiLike {
  trace: {
    getTracer(name: string, version?: string): TracerLike
    setSpan(context: unknown, span: SpanLike): unknown
  }
  context: { active(): unknown }
  SpanKind: { INTERNAL: number; CLIENT: number }
  SpanStatusCode: { ERROR: number }
}
