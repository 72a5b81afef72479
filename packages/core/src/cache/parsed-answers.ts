import { cloneJson } from '../util/clone-json'
import { BoundedMap } from '../util/lru'

/** Answers larger than this are parsed on every hit (a copy would save little and keep much). */
const MAX_TEXT = 16_384

/**
 * The parsed form of recently read cache entries, by key and stored text: a hit whose text is
 * the one parsed before gets a fresh copy of that parse instead of a new `JSON.parse`. Every
 * reader gets its own copy, so a caller that changes its answer changes nothing another sees;
 * an entry rewritten by any instance has a new text, and is parsed again.
 */
export class ParsedAnswers {
  private readonly parsed = new BoundedMap<string, { text: string; value: unknown }>(1_000)

  read<T>(key: string, text: string): T {
    const known = this.parsed.get(key)
    if (known !== undefined && known.text === text) return cloneJson(known.value as T)
    const value = (JSON.parse(text) as { v: T }).v
    if (text.length > MAX_TEXT) return value
    this.parsed.set(key, { text, value })
    return cloneJson(value)
  }
}
