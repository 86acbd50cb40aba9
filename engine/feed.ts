/**
 * Feed per assignment-day (spec 3.5): the assignment's own records plus its share of container
 * records, split by end-of-day biomass (fish are starved before handling, so the feed went to the
 * fish that stayed), or by yesterday's biomass when the container is empty at the end of the day.
 */
import type { InputError } from './document';
import { formatIsoDate } from './dates';
import type { Prepared } from './prepare';
import type { Row } from './simulate';

/** Adds feed to the rows of days ≥ `fromDay` (earlier rows keep theirs: a resumed walk). */
/** `standing`: containers whose feed stands as it was (only assignments a resumed walk left hold it). */
export function applyFeed(prep: Prepared, rows: (Row[] | null)[], errors: InputError[], fromDay = -Infinity, standing?: ReadonlySet<number>): void {
  const rowAt = (ai: number, d: number): Row | undefined => {
    const r = rows[ai];
    if (!r || r.length === 0) return undefined;
    const i = d - r[0]!.day;
    return i >= 0 && i < r.length ? r[i] : undefined;
  };
  for (const rs of rows) if (rs) for (const r of rs) if (r.day >= fromDay) { r.feedKg = 0; r.feedRecorded = false; }
  const k0 = Math.max(0, fromDay - prep.batchStart);
  for (const a of prep.assignments) {
    const L = a.ledger;
    for (let k = k0; k < L.feedId.length; k++) {
      if (L.feedId[k] === undefined) continue;
      const d = prep.batchStart + k;
      const row = rowAt(a.idx, d);
      if (!row) continue; // reported by the fish-days check
      row.feedKg += L.feedKg[k]!;
      row.feedRecorded = true;
    }
  }
  if (prep.containerFeed.size === 0) return;
  const byContainer = new Map<number, number[]>();
  for (const a of prep.assignments) {
    let l = byContainer.get(a.container);
    if (!l) byContainer.set(a.container, (l = []));
    l.push(a.idx);
  }
  // prepare() keeps containers and days in order.
  for (const [ci, feedDays] of prep.containerFeed) {
    if (standing?.has(ci)) continue;
    const cid = prep.containers[ci]!.id;
    for (const [d, f] of feedDays) {
      if (d < fromDay) continue;
      const here: { row: Row; end: number; prev: number }[] = [];
      for (const ai of byContainer.get(ci) ?? []) {
        const row = rowAt(ai, d);
        if (!row) continue;
        const prev = rowAt(ai, d - 1);
        here.push({ row, end: (row.population * row.avgWeightG) / 1000, prev: prev ? (prev.population * prev.avgWeightG) / 1000 : 0 });
      }
      const first = f.ids.slice().sort()[0]!;
      if (here.length === 0) {
        errors.push({ record: first, field: 'container_id', message: `feed ${first} on ${formatIsoDate(d)}: container ${cid} holds no fish of this batch that day` });
        continue;
      }
      let total = here.reduce((s, h) => s + h.end, 0);
      let key: 'end' | 'prev' = 'end';
      if (!(total > 0)) { total = here.reduce((s, h) => s + h.prev, 0); key = 'prev'; }
      if (!(total > 0)) {
        errors.push({ record: first, field: 'container_id', message: `feed ${first} on ${formatIsoDate(d)}: the fish in container ${cid} arrived and left the same day, so the feed cannot be given to them` });
        continue;
      }
      for (const h of here) {
        h.row.feedKg += (f.kg * h[key]) / total;
        h.row.feedRecorded = true;
      }
    }
  }
}
