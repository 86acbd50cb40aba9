/**
 * Backend benchmarks (issue 3):
 *  (a) edit → the affected batch's states persisted, p95 over ~50 edits (growth samples mid-batch,
 *      mortality and feed records) on the demo site, recompute in the worker thread as the app runs it;
 *  (b) cold full recompute of a generated many-batch site (demo-kind batches, own seeds and id
 *      prefixes), split into load / compute / persist;
 *  (c) writing states vs a bare prepared INSERT loop in one transaction on the same table;
 *  (d) the backend process's RSS on that site after the full recompute;
 *  (e) edit → persisted on that site, edits going to 4 of its batches in turn, and on others.
 * BENCH_BATCHES (default 60) sets the size of the generated site; numbers for 60 are extrapolated
 * from it (labelled so) unless BENCH_BATCHES=60.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createBackend } from '../backend/core';
import { importBatchDocument } from '../backend/import-doc';
import { Recomputer, type RecomputeOutcome } from '../backend/recompute/recompute';
import { addDaysIso, localDate } from '../backend/time';
import { generateDemoBatch } from '../engine/demo';
import type { BenchLine } from './engine';
import { median, ms, percentile } from './stats';

const SEA = 'S1-B-2025-DEMO';

async function demoSite(dir: string): Promise<string> {
  const path = join(dir, 'demo.db');
  const be = await createBackend({ dbPath: path, actor: 'bench', init: 'demo', recompute: 'sync' });
  await be.idle();
  await be.close();
  return path;
}

/**
 * Edits (samples, mortality, feed on assignments with fish, mid-batch, spread over their lives) on
 * the given batches in turn, recomputed by the worker as the app runs it. The edits start once the
 * worker has loaded the batches into memory after the start (its warm-up, reported).
 */
async function editLatency(path: string, n: number, log: (l: BenchLine) => void, label: string, pick: (ids: string[]) => string[], withTarget = true): Promise<void> {
  const opened = performance.now();
  const be = await createBackend({ dbPath: path, actor: 'bench', init: 'none', recompute: 'worker' });
  await be.idle();
  const warm = await be.warmed();
  // and the app has been open for at least 5 s, as a user starts working
  const openMs = Number(process.env.BENCH_OPEN_MS ?? 5000);
  await new Promise((r) => setTimeout(r, Math.max(0, opened + openMs - performance.now())));
  const db = be.ctx.db;
  const batchIds = pick((db.prepare('SELECT id FROM batches ORDER BY id').all() as { id: string }[]).map((r) => r.id));
  const mids = batchIds.map((batchId) => {
    const live = db.prepare(`SELECT assignment_id, date, avg_weight_g, population FROM assignment_states
      WHERE batch_id = ? AND population > 1000 AND day_number % 7 = 3 ORDER BY date, assignment_id`).all(batchId) as { assignment_id: string; date: string; avg_weight_g: number; population: number }[];
    return { batchId, mid: live.slice(Math.floor(live.length * 0.25), Math.floor(live.length * 0.9)) };
  }).filter((m) => m.mid.length > 0);
  let waiting: { batchId: string; resolve: () => void } | null = null;
  let workerMs = 0;
  be.on('states.fresh', (e) => { if (waiting && e.batch_id === waiting.batchId) { workerMs = e.ms; const w = waiting; waiting = null; w.resolve(); } });
  const times: number[] = [];
  const commits: number[] = [];
  const kinds = ['sample', 'mortality', 'feed'] as const;
  for (let i = 0; i < n; i++) {
    const { batchId, mid } = mids[i % mids.length]!;
    const s = mid[Math.floor((i * 7919) % mid.length)]!;
    const kind = kinds[i % 3]!;
    const fresh = new Promise<void>((resolve) => { waiting = { batchId, resolve }; });
    const t0 = performance.now();
    const r = kind === 'sample'
      ? await be.call('sample.record', { batch_id: batchId, assignment_id: s.assignment_id, date: s.date, sample_size: 30, avg_weight_g: s.avg_weight_g * 1.03 })
      : kind === 'mortality'
        ? await be.call('mortality.record', { batch_id: batchId, assignment_id: s.assignment_id, date: s.date, count: 3 })
        : await be.call('feed.record', { batch_id: batchId, assignment_id: s.assignment_id, date: s.date, kg: 1 });
    if (!r.ok) throw new Error(`bench edit failed: ${JSON.stringify(r.error)}`);
    commits.push(performance.now() - t0);
    await fresh;
    times.push(performance.now() - t0);
    if (process.env.BENCH_DEBUG) console.error(`edit ${i} ${batchId} ${kind} ${s.date} ${(performance.now() - t0).toFixed(1)} ms (commit ${commits[commits.length - 1]!.toFixed(1)}, recompute in the worker ${workerMs.toFixed(1)})`);
    await be.idle();
  }
  await be.close();
  const p95 = percentile(times, 95);
  const commitMs = median(commits);
  log({ name: `edit → states persisted on ${label} (${n} edits: samples, mortality, feed; worker; the app open ${ms(Math.max(openMs, warm.ms))}, its worker warmed up: ${warm.batches} batches in memory ${ms(warm.ms)} after the start)`, value: `p95 ${ms(p95)}, median ${ms(median(times))}, max ${ms(Math.max(...times))}; the first edit ${ms(times[0]!)}`,
    ratio: `${(median(times) / commitMs).toFixed(1)}× the edit's own commit (event + projection + marker, fsynced: median ${ms(commitMs)})`,
    ...(withTarget ? { target: 'p95 ≤ 50 ms', ok: p95 <= 50 } : {}) });
}

/** One feed record in each of the given batches, recomputed, then the app closed: a manager's batches in work. */
async function editOnce(path: string, pick: (ids: string[]) => string[]): Promise<void> {
  const be = await createBackend({ dbPath: path, actor: 'bench', init: 'none', recompute: 'worker' });
  await be.idle();
  const db = be.ctx.db;
  for (const batchId of pick((db.prepare('SELECT id FROM batches ORDER BY id').all() as { id: string }[]).map((r) => r.id))) {
    const s = db.prepare('SELECT assignment_id, date FROM assignment_states WHERE batch_id = ? AND population > 1000 ORDER BY date DESC LIMIT 1').get(batchId) as { assignment_id: string; date: string } | undefined;
    if (s) await be.call('feed.record', { batch_id: batchId, assignment_id: s.assignment_id, date: s.date, kg: 1 });
  }
  await be.idle();
  await be.close();
}

/** In-process recomputes of the sea batch after edits (samples, mortality, feed), with the load / compute / persist split. */
async function editSplit(path: string, n: number, log: (l: BenchLine) => void): Promise<void> {
  // manual: the edits are recomputed by this Recomputer, not by the backend's own scheduler
  const be = await createBackend({ dbPath: path, actor: 'bench', init: 'none', recompute: 'manual' });
  const db = be.ctx.db;
  const rc = new Recomputer(db, be.ctx.today);
  rc.recompute(SEA); // no-op unless dirty
  const live = db.prepare('SELECT assignment_id, date, avg_weight_g FROM assignment_states WHERE batch_id = ? AND population > 1000 AND day_number % 11 = 5 ORDER BY date').all(SEA) as { assignment_id: string; date: string; avg_weight_g: number }[];
  const outs: RecomputeOutcome[] = [];
  // first run fills the in-memory copy; the next ones are what an edit costs
  for (let i = 0; i <= n; i++) {
    const s = live[Math.floor(live.length * (0.3 + 0.5 * (i / n)))]!;
    const kind = i % 3;
    const r = kind === 0
      ? await be.call('sample.record', { batch_id: SEA, assignment_id: s.assignment_id, date: s.date, sample_size: 30, avg_weight_g: s.avg_weight_g * 1.03 })
      : kind === 1 ? await be.call('mortality.record', { batch_id: SEA, assignment_id: s.assignment_id, date: s.date, count: 3 })
        : await be.call('feed.record', { batch_id: SEA, assignment_id: s.assignment_id, date: s.date, kg: 1 });
    if (!r.ok) throw new Error(`bench edit failed: ${JSON.stringify(r.error)}`);
    const o = rc.recompute(SEA)!;
    if (i > 0) outs.push(o);
  }
  await be.close();
  const med = (f: (o: RecomputeOutcome) => number) => median(outs.map(f));
  log({ name: 'edit recompute split (in-process, median of samples, mortality and feed): load inputs / engine / write', value: `${ms(med((o) => o.split!.load))} / ${ms(med((o) => o.split!.compute))} / ${ms(med((o) => o.split!.persist))}`,
    ratio: `total ${ms(med((o) => o.ms))}; previous states from ${outs[0]?.split?.previousFrom}; ${Math.round(med((o) => o.changed_states))} states written` });
}

async function manyBatchSite(dir: string, batches: number, log: (l: BenchLine) => void): Promise<{ path: string; genMs: number; importMs: number }> {
  const path = join(dir, `site-${batches}.db`);
  const be = await createBackend({ dbPath: path, actor: 'bench', init: 'empty', recompute: 'manual' });
  // the empty site is UTC; the demo batches come with their stage table
  let genMs = 0, importMs = 0;
  const today = localDate('UTC', new Date());
  for (let i = 0; i < batches; i++) {
    const days = 200 + ((i * 137) % 700); // 200…899 days: a site with young and old year-classes
    let t = performance.now();
    const doc = generateDemoBatch({ seed: 100 + i, days, startDate: addDaysIso(today, -(days - 1)) });
    genMs += performance.now() - t;
    t = performance.now();
    const p = `B${String(i).padStart(2, '0')}-`;
    doc.batch.name = `Bench batch ${i + 1}`;
    // import only: the recompute is measured cold below
    importBatchDocument(be.ctx, doc, { idPrefix: p });
    importMs += performance.now() - t;
  }
  await be.close();
  log({ name: `generated site: ${batches} demo-kind batches (200–899 days)`, value: `generated in ${ms(genMs)}, imported in ${ms(importMs)}` });
  return { path, genMs, importMs };
}

async function coldRecompute(path: string, batches: number, log: (l: BenchLine) => void): Promise<void> {
  const be = await createBackend({ dbPath: path, actor: 'bench', init: 'none', recompute: 'manual' });
  const db = be.ctx.db;
  db.exec("DELETE FROM assignment_states; DELETE FROM batch_states; DELETE FROM batch_outputs; DELETE FROM dirty_batches; INSERT INTO dirty_batches (batch_id, from_date) SELECT id, '0000-01-01' FROM batches");
  const rc = new Recomputer(db, be.ctx.today, () => new Date(), { cacheStates: 0 });
  const t0 = performance.now();
  const outs = rc.runAll();
  const total = performance.now() - t0;
  const sum = (f: (o: RecomputeOutcome) => number) => outs.reduce((s, o) => s + f(o), 0);
  const load = sum((o) => o.split?.load ?? 0), compute = sum((o) => o.split?.compute ?? 0), persist = sum((o) => o.split?.persist ?? 0);
  const states = sum((o) => o.changed_states);
  const label = batches === 60 ? '' : ` (measured on ${batches}; ×${(60 / batches).toFixed(1)} → 60 batches ≈ ${ms(total * 60 / batches)}, extrapolated)`;
  log({ name: `cold full recompute, ${batches} batches: load / compute / persist`, value: `${ms(total)}: ${ms(load)} / ${ms(compute)} / ${ms(persist)}${label}`,
    ratio: `writing is ${((persist / total) * 100).toFixed(0)} % of the time; ${states.toLocaleString('en-US')} states`,
    ...(batches === 60 ? { target: '≤ 10 s', ok: total <= 10_000 } : {}) });

  // (c) the same rows written again by a bare prepared INSERT loop in one transaction, into the same
  // tables emptied first (as the cold recompute found them: emptied, with their free pages)
  const cols = (table: string) => Object.keys(db.prepare(`SELECT * FROM ${table} LIMIT 1`).get() as Record<string, unknown>);
  const bareOf = (table: string) => {
    const names = cols(table);
    return { rows: db.prepare(`SELECT * FROM ${table}`).raw().all() as unknown[][], ins: db.prepare(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`) };
  };
  const a = bareOf('assignment_states'), b = bareOf('batch_states');
  db.exec('DELETE FROM assignment_states; DELETE FROM batch_states');
  const t1 = performance.now();
  db.transaction(() => { for (const r of a.rows) a.ins.run(...r); for (const r of b.rows) b.ins.run(...r); }).immediate();
  const bare = performance.now() - t1;
  const statesMs = sum((o) => o.split?.persistStates ?? 0);
  const perState = statesMs / states, perBare = bare / (a.rows.length + b.rows.length);
  log({ name: 'writing states (the recompute\'s state rows: assignment and batch days) vs a bare prepared INSERT loop of the same rows into the same tables, emptied (one transaction)', value: `${(perState * 1000).toFixed(2)} µs vs ${(perBare * 1000).toFixed(2)} µs per row (${a.rows.length.toLocaleString('en-US')} assignment + ${b.rows.length.toLocaleString('en-US')} batch rows)`,
    ratio: `${((perBare / perState) * 100).toFixed(0)} % of bare speed; the rest of the persist phase (output parts, markers) ${ms(persist - statesMs)}`, target: '≥ 70 %', ok: perBare / perState >= 0.7 });

  await be.close();

  // (d) RSS of a backend process (worker recompute, as the app runs it) on this site: open,
  // recompute everything, list the batches; measured in a child process of its own
  const script = `
    const { createBackend } = await import(${JSON.stringify(new URL('../backend/core.ts', import.meta.url).href)});
    const be = await createBackend({ dbPath: ${JSON.stringify(path)}, actor: 'bench', init: 'none', recompute: 'worker' });
    const r = await be.call('recompute.run', { full: true });
    if (!r.ok) throw new Error(r.error.message);
    await be.call('batch.list', {});
    // then the worker loads the batches into memory between requests: the largest RSS over 20 s
    let rss = process.memoryUsage().rss;
    for (let i = 0; i < 40; i++) { await new Promise((r) => setTimeout(r, 500)); rss = Math.max(rss, process.memoryUsage().rss); }
    await be.close();
    // and the app started again on the computed site: its worker warms up, then 10 s more
    let start = 0;
    const tick = setInterval(() => { start = Math.max(start, process.memoryUsage().rss); }, 250);
    const again = await createBackend({ dbPath: ${JSON.stringify(path)}, actor: 'bench', init: 'none', recompute: 'worker' });
    const warm = await again.warmed();
    await new Promise((r) => setTimeout(r, 10000));
    clearInterval(tick);
    await again.close();
    console.log(JSON.stringify({ rss, start, batches: warm.batches }));`;
  // a module file, not --input-type=module -e: workers inherit the process's flags, and the
  // recompute worker refuses --input-type (it failed to start in this child before)
  const file = join(dirname(path), 'rss-child.mts');
  writeFileSync(file, script);
  const child = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const m = /\{"rss":(\d+),"start":(\d+),"batches":(\d+)\}/.exec(child.stdout);
  if (!m || /recompute worker failed/.test(child.stderr)) throw new Error(`RSS child failed: ${child.stderr.slice(-2000)}`);
  const rss = Number(m[1]) / 2 ** 20, start = Number(m[2]) / 2 ** 20;
  const most = Math.max(rss, start);
  log({ name: `backend RSS on the ${batches}-batch site (largest): a full recompute, then 20 s of the worker filling its memory / the app started again on the computed site, its worker warmed up (${m[3]} batches in memory) and 10 s more`, value: `${rss.toFixed(0)} MB / ${start.toFixed(0)} MB`, target: '≤ 400 MB', ok: most <= 400,
    ratio: batches === 60 ? undefined : 'measured on the smaller site: see the note on extrapolation' });
}

export async function benchBackend(log: (l: BenchLine) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'aquamind-bench-backend-'));
  // the edits on the large site alone, on a copy of one built before (iteration only)
  const sitePath = process.env.BENCH_SITE;
  // A manager works on some batches of the site: 4 of the 60 here (three of them 900-day sea
  // batches), edited before the app was started again, so they are the most recently computed
  // (the recomputer's memory holds about that many large batches, the most recent first). Edits
  // on other batches are measured apart.
  const working = (ids: string[]) => ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / 4)) === 0).slice(0, 4);
  const others = (ids: string[]) => ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / 10)) === 3).slice(0, 10);
  const siteEdits = async (path: string, n: number) => {
    await editOnce(path, working);
    await editLatency(path, Number(process.env.BENCH_EDITS ?? 50), log, `the ${n}-batch site (4 of its batches in turn, edited before the start)`, working);
    await editLatency(path, 10, log, `the ${n}-batch site, batches not in the recomputer's memory (each edit in another batch)`, others, false);
  };
  try {
    if (process.env.BENCH_ONLY === 'site-edits' && sitePath) {
      const copy = join(dir, 'site-copy.db');
      copyFileSync(sitePath, copy);
      await siteEdits(copy, Number(process.env.BENCH_BATCHES ?? 60));
      return;
    }
    let t = performance.now();
    const demo = await demoSite(dir);
    log({ name: 'demo site created (3 batches, ~420,000 readings) and recomputed', value: ms(performance.now() - t) });
    const copy = join(dir, 'edit.db');
    copyFileSync(demo, copy);
    await editLatency(copy, Number(process.env.BENCH_EDITS ?? 50), log, 'the demo sea batch', (ids) => ids.filter((id) => id.startsWith('S1-')));
    await editSplit(copy, 20, log);
    if (process.env.BENCH_ONLY === 'edits') return;
    const n = Number(process.env.BENCH_BATCHES ?? 60);
    const site = await manyBatchSite(dir, n, log);
    await coldRecompute(site.path, n, log);
    await siteEdits(site.path, n);
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

// `npx tsx bench/backend.ts` runs it alone
if (import.meta.url === `file://${process.argv[1]}`) {
  await benchBackend((l) => console.error(`${l.ok === false ? '✗' : l.ok ? '✓' : '·'} ${l.name}: ${l.value}${l.ratio ? ` (${l.ratio})` : ''}${l.target ? ` [target ${l.target}]` : ''}`));
}
