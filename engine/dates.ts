/**
 * Site-local calendar dates as integer day numbers (days since 1970-01-01), so the hot loops do
 * integer arithmetic and never touch `Date`. Conversions use the proleptic Gregorian calendar
 * (Howard Hinnant's civil-from-days algorithms).
 */

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 for a civil date. */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [m <= 2 ? y + 1 : y, m, d];
}

/** Parses `YYYY-MM-DD` to a day number, or returns null when it is not a real calendar date. */
const parseCache = new Map<string, number | null>();

export function parseIsoDate(s: unknown): number | null {
  if (typeof s !== 'string') return null;
  // A batch names a few hundred distinct dates in tens of thousands of records.
  const hit = parseCache.get(s);
  if (hit !== undefined) return hit;
  const v = parseIsoDateUncached(s);
  if (parseCache.size < 100_000) parseCache.set(s, v);
  return v;
}

function parseIsoDateUncached(s: string): number | null {
  const m = ISO_DATE.exec(s);
  if (!m) return null;
  const y = +m[1]!, mo = +m[2]!, d = +m[3]!;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  const day = daysFromCivil(y, mo, d);
  const [y2, m2, d2] = civilFromDays(day);
  return y2 === y && m2 === mo && d2 === d ? day : null;
}

const dateCache = new Map<number, string>();

export function formatIsoDate(day: number): string {
  let s = dateCache.get(day);
  if (s === undefined) {
    const [y, m, d] = civilFromDays(day);
    s = `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
    if (dateCache.size < 200_000) dateCache.set(day, s);
  }
  return s;
}

export function addDays(iso: string, n: number): string {
  const d = parseIsoDate(iso);
  if (d === null) throw new Error(`not a date: ${iso}`);
  return formatIsoDate(d + n);
}

/** ISO weekday, Monday = 1 … Sunday = 7. 1970-01-01 was a Thursday. */
export function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** The Monday starting the ISO week that holds `day`. */
export function weekStart(day: number): number {
  return day - isoWeekday(day) + 1;
}

/** Ordinal day in its own year: 1 Jan = 1, 31 Dec = 365 or 366. */
export function dayOfYear(day: number): number {
  const [y] = civilFromDays(day);
  return day - daysFromCivil(y, 1, 1) + 1;
}
