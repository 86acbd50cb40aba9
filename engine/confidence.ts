/**
 * Confidence of each daily state (spec 3.6). Decisions of this project:
 * - weight: the anchor's confidence on anchor days; the inflow's on days whose weight was set by
 *   inflows (measured transfer 0.95, unmeasured transfer 0.85, placement with a weight 0.9, the
 *   scenario's start weight 0.5). Elsewhere it halves every 30 days of distance to the nearest such
 *   evidence (before or after), never below 0.1, and on model days never above the temperature's.
 * - mortality: 0.9 when counted (recorded), 0.4 when modelled.
 * - feed: 1.0 recorded, 0 none (feed does not move the estimate: not in `overall`).
 * - overall: the minimum of weight, temperature and mortality.
 */
import type { Row } from './simulate';

export const HALF_LIFE_DAYS = 30;
export const MIN_WEIGHT_CONFIDENCE = 0.1;
export const MORTALITY_CONFIDENCE = { recorded: 0.9, model: 0.4 };

export function decay(days: number): number {
  return Math.pow(0.5, days / HALF_LIFE_DAYS);
}

/** Weight confidence per row; `tempConf(i)` gives the temperature confidence of row i. */
export function weightConfidence(rows: Row[], tempConf: (i: number) => number): number[] {
  const n = rows.length;
  const out: number[] = new Array(n).fill(0);
  const fwd: number[] = new Array(n).fill(0);
  let lastDay = NaN, lastConf = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    if (!Number.isNaN(r.evidenceConf)) { lastDay = r.day; lastConf = r.evidenceConf; }
    fwd[i] = Number.isNaN(lastDay) ? 0 : lastConf * decay(r.day - lastDay);
  }
  let nextDay = NaN, nextConf = 0;
  for (let i = n - 1; i >= 0; i--) {
    const r = rows[i]!;
    if (!Number.isNaN(r.evidenceConf)) { nextDay = r.day; nextConf = r.evidenceConf; out[i] = r.evidenceConf; continue; }
    const bwd = Number.isNaN(nextDay) ? 0 : nextConf * decay(nextDay - r.day);
    let c = Math.max(fwd[i]!, bwd, MIN_WEIGHT_CONFIDENCE);
    if (r.weightSource === 'model') c = Math.min(c, tempConf(i));
    out[i] = c;
  }
  return out;
}
