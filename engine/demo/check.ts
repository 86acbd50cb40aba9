/**
 * An independent look at a generated document, from the document alone: it replays the engine's
 * population estimate (spec 3.1 order, 3.2 batch-level split and count tolerances, closing
 * records) and reports what the engine would reject: outflows or deaths beyond the tolerance,
 * records on days an assignment has no fish, inflows after an assignment was emptied, records
 * after the as-of date or before the start, duplicate ids. Used by the demo's tests.
 */
import type { BatchDocument } from '../document';
import { dayToIso, isoToDay } from './days';

export interface DemoCheck {
  problems: string[];
  /** Engine-style population estimate at the end of each day with fish, by assignment. */
  population: Map<string, Map<number, number>>;
  /** First day (inflow) and emptying day (null if it still has fish) by assignment, day numbers. */
  occupied: Map<string, { first: number; last: number | null }>;
}

interface DayBook {
  inflow: number;
  outflow: number;
  deaths: number;
  closes: boolean;
  records: string[];
  maxSample: number;
}

export function checkDemoDocument(doc: BatchDocument): DemoCheck {
  const problems: string[] = [];
  const start = isoToDay(doc.batch.start_date);
  const asOf = isoToDay(doc.as_of!);
  const asgIds = doc.assignments.map((a) => a.id);
  const asgContainer = new Map(doc.assignments.map((a) => [a.id, a.container_id]));
  const containerIds = new Set(doc.containers.map((c) => c.id));

  const lists: [string, { id: string }[] | null | undefined][] = [
    ['assignments', doc.assignments], ['containers', doc.containers], ['placements', doc.placements],
    ['transfers', doc.transfers], ['removals', doc.removals], ['growth_samples', doc.growth_samples],
    ['weighings', doc.weighings], ['manual_anchors', doc.manual_anchors], ['mortality', doc.mortality],
    ['feed', doc.feed], ['stage_changes', doc.stage_changes],
  ];
  for (const [name, list] of lists) {
    const seen = new Set<string>();
    for (const r of list ?? []) {
      if (seen.has(r.id)) problems.push(`${name}: duplicate id ${r.id}`);
      seen.add(r.id);
    }
  }
  for (const a of doc.assignments) if (!containerIds.has(a.container_id)) problems.push(`assignment ${a.id}: unknown container ${a.container_id}`);

  const books = new Map<string, Map<number, DayBook>>();
  const book = (asg: string, day: number): DayBook => {
    if (!asgContainer.has(asg)) problems.push(`unknown assignment ${asg}`);
    let m = books.get(asg);
    if (!m) books.set(asg, (m = new Map()));
    let b = m.get(day);
    if (!b) m.set(day, (b = { inflow: 0, outflow: 0, deaths: 0, closes: false, records: [], maxSample: 0 }));
    return b;
  };
  const dated = (what: string, date: string): number => {
    const d = isoToDay(date);
    if (d > asOf) problems.push(`${what} on ${date} is after the as-of date ${doc.as_of}`);
    if (d < start) problems.push(`${what} on ${date} is before the batch start`);
    return d;
  };

  for (const p of doc.placements ?? []) book(p.assignment_id, dated(`placement ${p.id}`, p.date)).inflow += p.count;
  for (const t of doc.transfers ?? []) {
    const d = dated(`transfer ${t.id}`, t.date);
    const src = book(t.source_assignment_id, d);
    src.outflow += t.count + (t.mortality_in_transfer ?? 0);
    src.closes ||= t.closes_source === true;
    src.records.push(`transfer ${t.id}`);
    book(t.dest_assignment_id, d).inflow += t.count;
    if ((t.measured_sample_size ?? 0) > t.count) problems.push(`transfer ${t.id}: sample larger than the fish moved`);
  }
  for (const r of doc.removals ?? []) {
    const b = book(r.assignment_id, dated(`removal ${r.id}`, r.date));
    b.outflow += r.count;
    b.closes ||= r.closes_source === true;
    b.records.push(`removal ${r.id}`);
  }
  const batchLevel = new Map<number, number>();
  for (const m of doc.mortality ?? []) {
    const d = dated(`mortality ${m.id}`, m.date);
    if (m.assignment_id) {
      const b = book(m.assignment_id, d);
      b.deaths += m.count;
      b.records.push(`mortality ${m.id}`);
    } else batchLevel.set(d, (batchLevel.get(d) ?? 0) + m.count);
  }
  for (const s of doc.growth_samples ?? []) {
    const b = book(s.assignment_id, dated(`sample ${s.id}`, s.date));
    b.records.push(`sample ${s.id}`);
    b.maxSample = Math.max(b.maxSample, s.individual_weights_g?.length ?? s.sample_size ?? 0);
  }
  for (const w of doc.weighings ?? []) {
    const b = book(w.assignment_id, dated(`weighing ${w.id}`, w.date));
    b.records.push(`weighing ${w.id}`);
    b.maxSample = Math.max(b.maxSample, w.sample_size ?? 0);
  }
  for (const m of doc.manual_anchors ?? []) book(m.assignment_id, dated(`anchor ${m.id}`, m.date)).records.push(`anchor ${m.id}`);
  for (const c of doc.stage_changes ?? []) book(c.assignment_id, dated(`stage change ${c.id}`, c.date)).records.push(`stage change ${c.id}`);
  const containerFeed = new Map<string, { day: number; id: string }[]>();
  for (const f of doc.feed ?? []) {
    const d = dated(`feed ${f.id}`, f.date);
    if ((f.assignment_id == null) === (f.container_id == null)) problems.push(`feed ${f.id}: needs exactly one of assignment_id / container_id`);
    if (f.assignment_id) book(f.assignment_id, d).records.push(`feed ${f.id}`);
    else if (f.container_id) {
      const l = containerFeed.get(f.container_id) ?? [];
      l.push({ day: d, id: f.id });
      containerFeed.set(f.container_id, l);
    }
  }
  for (const r of doc.temperature_readings ?? []) if (!containerIds.has(r.container_id)) problems.push(`reading: unknown container ${r.container_id}`);
  for (const r of doc.temperature_daily ?? []) {
    if (!containerIds.has(r.container_id)) problems.push(`daily temperature: unknown container ${r.container_id}`);
    if (isoToDay(r.date) > asOf) problems.push(`daily temperature on ${r.date} is after the as-of date`);
  }

  // --- replay the engine's population estimate day by day ------------------------------------
  const pop = new Map<string, number>(); // end of the previous day, assignments with fish
  const occupied = new Map<string, { first: number; last: number | null }>();
  const population = new Map<string, Map<number, number>>();
  const sortedIds = [...asgIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const tol = (n: number) => Math.max(10, 0.05 * n);

  for (let d = start; d <= asOf; d++) {
    const date = dayToIso(d);
    // batch-level deaths split over the assignments with fish at the end of yesterday
    const share = new Map<string, number>();
    const c = batchLevel.get(d);
    if (c !== undefined) {
      const holders = sortedIds.filter((id) => (pop.get(id) ?? 0) > 0);
      const total = holders.reduce((s, id) => s + (pop.get(id) as number), 0);
      if (holders.length === 0) problems.push(`batch-level mortality on ${date} with no fish in the batch`);
      else {
        const q = holders.map((id) => (c * (pop.get(id) as number)) / total);
        const fl = q.map(Math.floor);
        let left = c - fl.reduce((s, x) => s + x, 0);
        const order = holders.map((_, i) => i).sort((i, j) => (q[j]! - fl[j]!) - (q[i]! - fl[i]!) || (holders[i]! < holders[j]! ? -1 : 1));
        for (const i of order) {
          if (left <= 0) break;
          fl[i]!++;
          left--;
        }
        holders.forEach((id, i) => share.set(id, fl[i]!));
      }
    }
    const hasFishToday = new Set<string>();
    for (const id of sortedIds) {
      const b = books.get(id)?.get(d);
      const n0 = pop.get(id) ?? 0;
      const occ = occupied.get(id);
      if (n0 <= 0 && !(b && b.inflow > 0)) {
        if (b && b.records.length) problems.push(`${b.records[0]} on ${date}: ${id} has no fish that day`);
        continue;
      }
      if (occ && occ.last !== null) {
        problems.push(`inflow into ${id} on ${date} after it was emptied on ${dayToIso(occ.last)}`);
        continue;
      }
      const first = !occ;
      if (first) occupied.set(id, { first: d, last: null });
      hasFishToday.add(id);
      let n = first ? (b?.inflow ?? 0) : n0;
      const deaths = (b?.deaths ?? 0) + (first ? 0 : (share.get(id) ?? 0));
      if (deaths > n) {
        if (deaths - n > tol(n)) problems.push(`deaths ${deaths} of ${id} on ${date} exceed its ${n} fish`);
        n = 0;
      } else n -= deaths;
      const out = b?.outflow ?? 0;
      if (out > n && out - n > tol(n)) problems.push(`${b?.records[0]} on ${date}: outflows ${out} exceed the estimate ${n} of ${id}`);
      let n2 = Math.max(0, n - out);
      if (b?.closes) n2 = 0;
      if (!first) n2 += b?.inflow ?? 0;
      if (b && b.maxSample > Math.max(n0, n2, first ? b.inflow : 0)) problems.push(`sample of ${b.maxSample} in ${id} on ${date} exceeds its population`);
      pop.set(id, n2);
      let series = population.get(id);
      if (!series) population.set(id, (series = new Map()));
      series.set(d, n2);
      if (n2 === 0) occupied.get(id)!.last = d;
    }
    for (const [cid, l] of containerFeed) {
      for (const f of l) {
        if (f.day !== d) continue;
        const ok = [...hasFishToday].some((id) => asgContainer.get(id) === cid);
        if (!ok) problems.push(`feed ${f.id} on ${date}: container ${cid} has no fish`);
      }
    }
  }
  for (const [id, m] of books) {
    for (const [d, b] of m) if (d > asOf && b.records.length) problems.push(`${b.records[0]} after the as-of date`);
    if (!occupied.has(id) && [...m.values()].some((b) => b.records.length)) problems.push(`${id} has records but never any fish`);
  }
  return { problems, population, occupied };
}
