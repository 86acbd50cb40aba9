/**
 * The canonical JSON of a payload that came out of JSON.parse (a request body, a pull page), fast.
 *
 * A device sends the canonical text it stored (backend/events/canonical.ts: keys sorted, no
 * whitespace), so the object parsed from it has its keys in sorted order already. For such a value
 * — plain objects, arrays, strings, finite numbers, booleans, null, every object's own keys in
 * sorted order — `JSON.stringify` writes exactly what `canonicalJson` writes, in native code and
 * without the per-key strings and arrays. JSON data with keys out of order (a jsonb payload read
 * back from PostgreSQL) is copied with its keys inserted in sorted order first; whatever JSON.stringify
 * could write differently (array index keys, which objects list first; undefined; non-finite
 * numbers; Dates and other classes) goes through `canonicalJson` itself. The result is always
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

/** An array index key ("0", "17"): JavaScript objects list those first, in numeric order, whatever their insertion order. */
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;

/**
 * A copy of JSON data with every object's keys inserted in sorted order (JSON.stringify then writes
 * them in that order), or null when that cannot hold: an array index key, or anything but JSON data.
 */
function sortedCopy(v: unknown): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'object') return null;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const c = x === null ? null : sortedCopy(x);
      if (c === null && x !== null) return null;
      out[i] = c;
    }
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return null;
  const keys = Object.keys(v).sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (INDEX_KEY.test(k)) return null;
    const x = (v as Record<string, unknown>)[k];
    const c = x === null ? null : sortedCopy(x);
    if (c === null && x !== null) return null;
    out[k] = c;
  }
  return out;
}

/**
 * `canonicalJson(v)`: by `JSON.stringify` when the value is sorted JSON data (a payload as a device
 * sends it), by `JSON.stringify` of a key-sorted copy for other JSON data without index keys (a
 * payload read back from jsonb), by `canonicalJson` itself for anything else.
 */
export function canonicalPayload(v: unknown): string {
  if (sortedJsonData(v)) return JSON.stringify(v);
  const c = v === null ? null : sortedCopy(v);
  return c === null ? canonicalJson(v) : JSON.stringify(c);
}
