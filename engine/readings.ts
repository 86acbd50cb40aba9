/**
 * Logger readings → per container-day sums (spec 2, 3.3). A 900-day batch has ~400,000 readings;
 * this aggregator takes them one at a time, so a caller can fold them in while parsing (see
 * `parseBatchDocument`) and never hold them all as objects. Sums are fixed point (1e-9 °C), where
 * integer addition is exact, so daily means do not depend on the order of the readings.
 */
import type { InputError, Warning } from './document';
import { LocalDayResolver, timestampLocalDay } from './timezone';
import { parseIsoDate } from './dates';

export const FIXED_POINT = 1e9;

export interface DaySum { sum: number; n: number; lone: number }

export class ReadingAggregator {
  /** container id → day → sum */
  readonly byContainer = new Map<string, Map<number, DaySum>>();
  readonly errors: InputError[] = [];
  readonly warnings: Warning[] = [];
  count = 0;
  private lastCid: unknown = undefined;
  private lastMap: Map<number, DaySum> | undefined;

  constructor(private readonly resolver: LocalDayResolver, readonly timezone: string | null) {}

  /**
   * An aggregator from stored per container-day sums (a backend keeps them as readings arrive), so
   * a recompute never reads the raw readings. `sum` is Σ round(value·1e9), `lone` the value when n = 1.
   */
  static fromDaySums(timezone: string | null, rows: Iterable<{ container_id: string; date: string; sum: number; n: number; lone: number }>): ReadingAggregator {
    const agg = new ReadingAggregator(new LocalDayResolver(timezone), timezone);
    for (const r of rows) {
      const d = parseIsoDate(r.date);
      if (d === null || r.n <= 0) continue;
      let m = agg.byContainer.get(r.container_id);
      if (!m) agg.byContainer.set(r.container_id, (m = new Map()));
      m.set(d, { sum: r.sum, n: r.n, lone: r.lone });
      agg.count += r.n;
    }
    return agg;
  }

  /** The fixed-point contribution of one reading to its day's `sum`. */
  static fixed(value: number): number {
    return Math.round(value * FIXED_POINT);
  }

  add(r: unknown, index: number): void {
    this.count++;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      this.errors.push({ record: `temperature_readings[${index}]`, field: 'temperature_readings', message: 'each reading must be an object' });
      return;
    }
    const { container_id: cid, timestamp, value } = r as Record<string, unknown>;
    if (typeof cid !== 'string' || cid === '') {
      this.errors.push({ record: `${String(cid)} ${String(timestamp)}`, field: 'container_id', message: `container_id must be a container id, got ${JSON.stringify(cid)}` });
      return;
    }
    const d = timestampLocalDay(timestamp, this.resolver);
    if (d === null) {
      this.errors.push({ record: `${cid} ${String(timestamp)}`, field: 'timestamp', message: `timestamp must be ISO 8601 (e.g. 2024-01-11T08:00:00+00:00), got ${JSON.stringify(timestamp)}` });
      return;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.errors.push({ record: `${cid} ${String(timestamp)}`, field: 'value', message: `value must be a temperature in °C, got ${JSON.stringify(value)}` });
      return;
    }
    if (value < -3 || value > 40) {
      this.warnings.push({ record: `${cid} ${String(timestamp)}`, field: 'value', message: `reading ${value} °C in ${cid} at ${String(timestamp)} is outside −3…40 °C and was dropped` });
      return;
    }
    let m: Map<number, DaySum> | undefined;
    if (cid === this.lastCid) m = this.lastMap;
    else {
      m = this.byContainer.get(cid);
      if (!m) this.byContainer.set(cid, (m = new Map()));
      this.lastCid = cid; this.lastMap = m;
    }
    const s = m!.get(d);
    if (s) { s.sum += Math.round(value * FIXED_POINT); s.n++; }
    else m!.set(d, { sum: Math.round(value * FIXED_POINT), n: 1, lone: value });
  }
}

/**
 * Parses a batch document without ever holding its ~400,000 readings as objects: the top-level
 * `temperature_readings` array is cut out of the UTF-8 bytes, the rest is parsed as usual (it
 * names the site's time zone), then the readings are parsed a few thousand at a time into the
 * aggregator. JSON's structural characters are ASCII, so scanning bytes is safe. Peak memory stays
 * near the size of the file.
 */
export function parseBatchDocument(input: Uint8Array | string): { doc: unknown; readings: ReadingAggregator | null } {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const dec = new TextDecoder('utf-8', { fatal: true });
  const text = (a: number, b: number) => dec.decode(bytes.subarray(a, b));
  const span = findTopLevelArray(bytes, 'temperature_readings');
  if (!span) return { doc: JSON.parse(text(0, bytes.length)), readings: null };
  const doc = JSON.parse(text(0, span.start) + '[]' + text(span.end, bytes.length));
  const tzRaw = (doc as { site?: { timezone?: unknown } } | null)?.site?.timezone;
  const tz = typeof tzRaw === 'string' ? tzRaw : null;
  let resolver: LocalDayResolver;
  try { resolver = new LocalDayResolver(tz); } catch { return { doc: JSON.parse(text(0, bytes.length)), readings: null }; }
  const agg = new ReadingAggregator(resolver, tz);
  let index = 0;
  forEachChunk(bytes, span.start, span.end, 4096, (a, b) => {
    const items = JSON.parse('[' + text(a, b) + ']') as unknown[];
    for (const r of items) agg.add(r, index++);
  });
  return { doc, readings: agg };
}

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, COLON = 58, LBRACE = 123, RBRACE = 125, LBRACKET = 91, RBRACKET = 93;
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/** Index of the closing quote of the string starting at `i` (a quote). */
function skipString(b: Uint8Array, i: number): number {
  for (i++; i < b.length; i++) {
    const c = b[i]!;
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return b.length;
}

/** [start, end) of the array value of a top-level key, or null. */
function findTopLevelArray(b: Uint8Array, key: string): { start: number; end: number } | null {
  const k = new TextEncoder().encode(key);
  let depth = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === QUOTE) {
      const s = i;
      i = skipString(b, i);
      if (depth !== 1 || i - s - 1 !== k.length) continue;
      let same = true;
      for (let q = 0; q < k.length; q++) if (b[s + 1 + q] !== k[q]) { same = false; break; }
      if (!same) continue;
      let j = i + 1;
      while (j < b.length && isSpace(b[j]!)) j++;
      if (b[j] !== COLON) continue;
      j++;
      while (j < b.length && isSpace(b[j]!)) j++;
      if (b[j] !== LBRACKET) return null;
      const end = matchingBracket(b, j);
      return end < 0 ? null : { start: j, end: end + 1 };
    } else if (c === LBRACE || c === LBRACKET) depth++;
    else if (c === RBRACE || c === RBRACKET) depth--;
  }
  return null;
}

function matchingBracket(b: Uint8Array, open: number): number {
  let depth = 0;
  for (let i = open; i < b.length; i++) {
    const c = b[i]!;
    if (c === QUOTE) i = skipString(b, i);
    else if (c === LBRACE || c === LBRACKET) depth++;
    else if (c === RBRACE || c === RBRACKET) { depth--; if (depth === 0) return i; }
  }
  return -1;
}

/** Calls `fn(a, b)` with byte ranges holding at most `per` consecutive elements of the array [start, end). */
function forEachChunk(b: Uint8Array, start: number, end: number, per: number, fn: (a: number, b: number) => void): void {
  let depth = 0, count = 0, from = start + 1, nonBlank = false;
  for (let i = start + 1; i < end - 1; i++) {
    const c = b[i]!;
    if (c === QUOTE) { i = skipString(b, i); nonBlank = true; }
    else if (c === LBRACE || c === LBRACKET) { depth++; nonBlank = true; }
    else if (c === RBRACE || c === RBRACKET) depth--;
    else if (c === COMMA && depth === 0 && ++count === per) {
      fn(from, i);
      from = i + 1; count = 0; nonBlank = false;
    } else if (!isSpace(c)) nonBlank = true;
  }
  if (nonBlank) fn(from, end - 1);
}
