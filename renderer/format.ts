/** Formatting: site-local dates like "14 Mar 2026", weights in g or kg as fits, counts with separators. */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` → milliseconds at UTC midnight (a site-local date as a point on the x axis). */
export const dateMs = (d: string): number => Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10));
export const msDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const addDays = (d: string, n: number): string => msDate(dateMs(d) + n * DAY_MS);
export const daysBetween = (a: string, b: string): number => Math.round((dateMs(b) - dateMs(a)) / DAY_MS);

export function fmtDate(d: string | null | undefined): string {
  if (!d) return '—';
  return `${+d.slice(8, 10)} ${MONTHS[+d.slice(5, 7) - 1]} ${d.slice(0, 4)}`;
}
export const fmtMonth = (ms: number): string => { const d = new Date(ms); return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`; };

export function fmtWeight(g: number | null | undefined, unit?: 'g' | 'kg'): string {
  if (g === null || g === undefined || !Number.isFinite(g)) return '—';
  const u = unit ?? (Math.abs(g) >= 1000 ? 'kg' : 'g');
  if (u === 'kg') return `${trim(g / 1000, 2)} kg`;
  return `${trim(g, g < 1 ? 3 : g < 10 ? 2 : g < 100 ? 1 : 0)} g`;
}
export function fmtMass(kg: number | null | undefined): string {
  if (kg === null || kg === undefined || !Number.isFinite(kg)) return '—';
  if (Math.abs(kg) >= 10_000) return `${fmtInt(kg / 1000)} t`;
  if (Math.abs(kg) >= 1000) return `${trim(kg / 1000, 1)} t`;
  return `${trim(kg, kg < 10 ? 1 : 0)} kg`;
}
// Number formats are made once: toLocaleString with options builds a new Intl.NumberFormat per call (~0.1 ms).
const formats = new Map<string, Intl.NumberFormat>();
export function numberFormat(minDigits: number, maxDigits: number): Intl.NumberFormat {
  const k = `${minDigits}:${maxDigits}`;
  let f = formats.get(k);
  if (!f) { f = new Intl.NumberFormat('en-GB', { minimumFractionDigits: minDigits, maximumFractionDigits: maxDigits }); formats.set(k, f); }
  return f;
}
export function trim(x: number, digits: number): string {
  return numberFormat(0, digits).format(x);
}
export const fmtInt = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : numberFormat(0, 0).format(Math.round(x)));
export const fmtPct = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined ? '—' : `${trim(x, digits)} %`);
export const fmtConf = (c: number | null | undefined): string => (c === null || c === undefined ? '—' : `${Math.round(c * 100)} %`);

/** "3.1 % below plan, 9 days behind" */
export function varianceText(pct: number | null | undefined, daysAhead: number | null | undefined): string {
  if (pct === null || pct === undefined) return 'no plan to compare';
  const a = Math.abs(pct) < 0.05 ? 'on plan' : `${trim(Math.abs(pct), 1)} % ${pct < 0 ? 'below' : 'above'} plan`;
  if (daysAhead === null || daysAhead === undefined || daysAhead === 0) return a;
  const n = Math.abs(daysAhead);
  return `${a}, ${n} day${n === 1 ? '' : 's'} ${daysAhead < 0 ? 'behind' : 'ahead'}`;
}
