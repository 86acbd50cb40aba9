/**
 * The canonical JSON of a payload that came out of JSON.parse (a request body, a pull page), fast.
 *
 * A device sends the canonical text it stored (backend/events/canonical.ts: keys sorted, no
 * whitespace), so the object parsed from it has its keys in sorted order already. For such a value
 * — plain objects, arrays, strings, finite numbers, booleans, null, every object's own keys in
 * sorted order — `JSON.stringify` writes exactly what `canonicalJson` writes, in native code and
 * without the per-key strings and arrays. Any other value (keys out of order, as in a jsonb
 * payload read back from PostgreSQL) goes through `canonicalJson` itself: the result is always
 * `canonicalJson(v)`.
 */
import { canonicalJson } from '../backend/events/canonical';

/** True when `JSON.stringify(v) === canonicalJson(v)` is certain: JSON data whose object keys are all in sorted order. */
export function sortedJsonData(v: unknown): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case 'string': case 'boolean': return true;
    case 'number': return Number.isFinite(v);
    case 'object': break;
    default: return false; // undefined, functions, symbols, bigints: canonicalJson decides
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!sortedJsonData(v[i])) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false; // Date, Map, …: toJSON and friends
  const o = v as Record<string, unknown>;
  let prev: string | null = null;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) return false;
    if (prev !== null && !(prev < k)) return false;
    if (!sortedJsonData(o[k])) return false;
    prev = k;
  }
  return true;
}

/** `canonicalJson(v)`, by `JSON.stringify` when the value is sorted JSON data. */
export function canonicalPayload(v: unknown): string {
  return sortedJsonData(v) ? JSON.stringify(v) : canonicalJson(v);
}
