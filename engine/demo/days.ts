/**
 * Calendar arithmetic on integer day numbers (days since 1970-01-01, proleptic Gregorian), for
 * the demo generator. No Date objects: Howard Hinnant's civil-date algorithms.
 */

export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(day: number): [number, number, number] {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return [y, m, d];
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** 'YYYY-MM-DD' to a day number; throws on anything else (including impossible dates). */
export function isoToDay(iso: string): number {
  const m = ISO_DATE.exec(iso);
  if (!m) throw new Error(`not a YYYY-MM-DD date: ${iso}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const day = daysFromCivil(y, mo, d);
  const [y2, m2, d2] = civilFromDays(day);
  if (y2 !== y || m2 !== mo || d2 !== d) throw new Error(`not a calendar date: ${iso}`);
  return day;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function dayToIso(day: number): string {
  const [y, m, d] = civilFromDays(day);
  return `${y}-${pad2(m)}-${pad2(d)}`;
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Ordinal day of the date in its own year, 1 January = 1. */
export function dayOfYear(day: number): number {
  const [y] = civilFromDays(day);
  return day - daysFromCivil(y, 1, 1) + 1;
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** Day number of the last Sunday of month `m` (1–12) of year `y`. */
export function lastSundayOf(y: number, m: number): number {
  const last = m === 12 ? daysFromCivil(y + 1, 1, 1) - 1 : daysFromCivil(y, m + 1, 1) - 1;
  return last - weekday(last);
}

/** 'YYYY-MM-DDT' for the UTC day, the prefix of every timestamp of that day. */
export function isoDayPrefix(day: number): string {
  return `${dayToIso(day)}T`;
}
