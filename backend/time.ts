/** Site-local dates (the site's time zone decides what "today" and a reading's day are). */
import { addDays, isValidTimeZone, parseIsoDate } from '../engine/index';

const fmts = new Map<string, Intl.DateTimeFormat>();

function fmt(tz: string): Intl.DateTimeFormat {
  let f = fmts.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    fmts.set(tz, f);
  }
  return f;
}

/** YYYY-MM-DD of instant `d` in time zone `tz`. */
export function localDate(tz: string, d: Date): string {
  const parts = fmt(tz).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** A date YYYY-MM-DD that exists (the engine's own rule). */
export function isIsoDate(s: string): boolean {
  return parseIsoDate(s) !== null;
}

/** `iso` moved by `n` days. */
export const addDaysIso = addDays;

/** The engine's check, answered from memory per zone name. */
export { isValidTimeZone };

export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}
