/**
 * Timing marks for `npm run bench` (bench/ui.ts reads them from `window.__aquamindPerf`). Each mark
 * is also a `performance.mark('aquamind:<name>')`, so they show in a DevTools performance trace.
 * Times are `performance.now()` milliseconds of the page.
 */
export interface PerfMarks {
  /** The last time each mark was set. */
  t: Record<string, number>;
  /** Details of the last chart commit: lines drawn and points in their paths. */
  chart: { lines: number; points: number; withContainers: boolean };
  /** Test hooks for the benchmark; set by main.tsx. */
  hooks: Record<string, unknown>;
}

const perf: PerfMarks = { t: {}, chart: { lines: 0, points: 0, withContainers: false }, hooks: {} };
if (typeof window !== 'undefined') (window as unknown as { __aquamindPerf?: PerfMarks }).__aquamindPerf = perf;

export function perfMark(name: string, at = performance.now()): number {
  perf.t[name] = at;
  try { performance.mark(`aquamind:${name}`, { startTime: at }); } catch { /* marks are best effort */ }
  return at;
}

/** Marks `name` at the next animation frame (the frame that shows what was just committed). */
export function markNextFrame(name: string, then?: (t: number) => void): void {
  if (typeof requestAnimationFrame === 'undefined') return;
  requestAnimationFrame(() => { const t = perfMark(name); then?.(t); });
}

export { perf };
