/**
 * FCR over windows (spec 3.5): never per day (noise). Per span between consecutive cut days (the
 * spans partition the series: the first holds the first day), and rolling 7 and 30 days ending on
 * each day, as Σ feed / Σ growth, null when Σ growth ≤ 1 kg.
 */
import type { FcrRow } from './document';

export function fcrOf(feedKg: number, growthKg: number): number | null {
  return growthKg > 1 ? feedKg / growthKg : null;
}

/** `which`: all windows (span, 7-day, 30-day, in that order), the spans only, or the rolling ones only. */
export function fcrWindows(assignmentId: string, firstDay: number, dates: string[], feedKg: ArrayLike<number>, growthKg: ArrayLike<number>, cutDays: number[],
  which: 'all' | 'span' | 'rolling' = 'all'): FcrRow[] {
  const n = feedKg.length;
  const pf: number[] = [0], pg: number[] = [0];
  for (let i = 0; i < n; i++) { pf.push(pf[i]! + feedKg[i]!); pg.push(pg[i]! + growthKg[i]!); }
  const rows: FcrRow[] = [];
  const win = (window: FcrRow['window'], a: number, b: number) => {
    // inclusive indexes a..b
    const f = pf[b + 1]! - pf[a]!, g = pg[b + 1]! - pg[a]!;
    rows.push({ assignment_id: assignmentId, window, from: dates[a]!, to: dates[b]!, feed_kg: f, growth_kg: g, fcr: fcrOf(f, g) });
  };
  if (n === 0) return rows;
  if (which !== 'rolling') {
    let start = 0;
    for (const c of cutDays) {
      const i = c - firstDay;
      if (i <= 0 || i >= n) continue;
      win('span', start, i);
      start = i + 1;
    }
    if (start <= n - 1) win('span', start, n - 1);
  }
  if (which === 'span') return rows;
  for (let i = 0; i < n; i++) win('7d', Math.max(0, i - 6), i);
  for (let i = 0; i < n; i++) win('30d', Math.max(0, i - 29), i);
  return rows;
}

/**
 * FCR rows of the asked windows in document order (per assignment: span, 7-day, 30-day): the span
 * rows given, the 7- and 30-day rows made from the assignment's daily feed and growth. A states
 * document makes its flat list so, and the backend (which stores only span rows) so rebuilds it.
 */
export function fcrInEngineOrder(
  span: ReadonlyMap<string, readonly FcrRow[]>, states: Iterable<[string, readonly { date: string; feed_kg: number; growth_kg: number }[]]>,
  windows: ReadonlySet<'span' | '7d' | '30d'>,
): FcrRow[] {
  const out: FcrRow[] = [];
  for (const [id, days] of states) {
    if (windows.has('span')) for (const r of span.get(id) ?? []) out.push(r);
    if (days.length === 0 || (!windows.has('7d') && !windows.has('30d'))) continue;
    for (const r of fcrWindows(id, 0, days.map((d) => d.date), days.map((d) => d.feed_kg), days.map((d) => d.growth_kg), [], 'rolling')) if (windows.has(r.window)) out.push(r);
  }
  return out;
}
