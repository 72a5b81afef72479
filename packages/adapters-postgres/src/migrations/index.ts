import * as m001 from './001-rate-limits'
import * as m002 from './002-rate-limit-many'
import * as m003 from './003-fleet-ports'
import * as m004 from './004-queue'
import * as m005 from './005-queue-groups'
import * as m006 from './006-queue-take'
import * as m007 from './007-queue-claim-by-id'
import * as m008 from './008-rate-limit-batch'
import * as m009 from './009-queue-claim-whole-group'
import * as m010 from './010-rate-limit-late-after-lock'
import * as m011 from './011-rate-limit-sliding-log'
import * as m012 from './012-queue-counts'
import * as m013 from './013-usage-days'
import * as m014 from './014-queue-ranks'

/** Ordered migrations; each runs once per schema, inside a transaction. Append, never edit. */
export const MIGRATIONS: { id: number; name: string; up: (schema: string) => string }[] = [
  { id: 1, name: 'rate-limits', up: m001.up },
  { id: 2, name: 'rate-limit-many', up: m002.up },
  { id: 3, name: 'fleet-ports', up: m003.up },
  { id: 4, name: 'queue', up: m004.up },
  { id: 5, name: 'queue-groups', up: m005.up },
  { id: 6, name: 'queue-take', up: m006.up },
  { id: 7, name: 'queue-claim-by-id', up: m007.up },
  { id: 8, name: 'rate-limit-batch', up: m008.up },
  { id: 9, name: 'queue-claim-whole-group', up: m009.up },
  { id: 10, name: 'rate-limit-late-after-lock', up: m010.up },
  { id: 11, name: 'rate-limit-sliding-log', up: m011.up },
  { id: 12, name: 'queue-counts', up: m012.up },
  { id: 13, name: 'usage-days', up: m013.up },
  { id: 14, name: 'queue-ranks', up: m014.up },
]
