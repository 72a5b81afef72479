import type { CapacityView } from '../capacity/provider-capacity'

type Family = (name: string, help: string, type: 'gauge' | 'counter', samples: [string, number][]) => string

/** The capacity families of the Prometheus text: per provider and model, in this instance. */
export function capacityFamilies(views: readonly CapacityView[], all: Family, esc: (s: string) => string) {
  // A family with no samples (no provider called yet) is left out.
  const family: Family = (name, help, type, samples) =>
    samples.length > 0 ? all(name, help, type, samples) : ''
  const by = (v: CapacityView) => `provider="${esc(v.provider)}",model="${esc(v.model)}"`
  const each = (pick: (v: CapacityView) => number | undefined, extra = '') =>
    views.flatMap((v): [string, number][] => {
      const n = pick(v)
      return n === undefined ? [] : [[`{${by(v)}${extra}}`, n]]
    })
  return [
    family('sluice_capacity_limit', 'Provider limits in force (configured or learned)', 'gauge', [
      ...each((v) => v.limits.rpm, ',kind="requests"'),
      ...each((v) => v.limits.tpm, ',kind="tokens"'),
      ...each((v) => v.limits.concurrency, ',kind="concurrency"'),
    ]),
    family('sluice_capacity_remaining', 'What the provider last said is left in its window', 'gauge', [
      ...each((v) => v.remainingRequests, ',kind="requests"'),
      ...each((v) => v.remainingTokens, ',kind="tokens"'),
    ]),
    family(
      'sluice_capacity_in_flight',
      'Attempts holding capacity now',
      'gauge',
      each((v) => v.inFlight),
    ),
    family(
      'sluice_capacity_waiting',
      'Calls waiting for capacity now',
      'gauge',
      each((v) => v.waiting),
    ),
    family(
      'sluice_capacity_waits_total',
      'Calls that waited for capacity',
      'counter',
      each((v) => v.waited),
    ),
    family(
      'sluice_capacity_wait_seconds_total',
      'Time calls waited for capacity',
      'counter',
      each((v) => v.waitedMs / 1000),
    ),
    family(
      'sluice_capacity_refused_total',
      'Calls that found no capacity within their wait',
      'counter',
      each((v) => v.refused),
    ),
    family(
      'sluice_capacity_upstream_429_total',
      '429s the provider sent',
      'counter',
      each((v) => v.upstream429),
    ),
  ]
}
