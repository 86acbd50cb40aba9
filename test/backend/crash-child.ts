/**
 * Child process for the crash test: opens (or creates) the site database, then loops random writes
 * (each followed by its in-process recompute) and reports every committed event id on stdout,
 * until it is killed.
 */
import { writeSync } from 'node:fs';
import { createBackend } from '../../backend/core';

const dbPath = process.argv[2]!;
const seed = Number(process.argv[3] ?? 1);
let x = seed || 1;
const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const NOW = new Date('2025-06-30T12:00:00Z');

const be = await createBackend({ dbPath, clock: () => NOW, actor: 'crash-child', init: 'empty', recompute: 'sync' });
const say = (s: string) => writeSync(1, `${s}\n`);
const must = (r: { ok: boolean; value?: unknown; error?: unknown }) => { if (!r.ok) throw new Error(JSON.stringify(r.error)); return r.value as { event_id?: string }; };

if (!be.ctx.db.prepare("SELECT 1 FROM batches WHERE id = 'B1'").get()) {
  must(await be.call('container.create', { id: 'P1', name: 'Pen 1', environment: 'sea' }));
  must(await be.call('container.create', { id: 'P2', name: 'Pen 2', environment: 'sea' }));
  must(await be.call('batch.create', { id: 'B1', name: 'Batch 1', start_date: '2025-01-01' }));
  must(await be.call('assignment.create', { id: 'A1', batch_id: 'B1', container_id: 'P1', stage: 'Adult' }));
  must(await be.call('assignment.create', { id: 'A2', batch_id: 'B1', container_id: 'P2', stage: 'Adult' }));
  must(await be.call('placement.record', { id: 'PL1', batch_id: 'B1', assignment_id: 'A1', date: '2025-01-01', count: 100000, avg_weight_g: 500 }));
  must(await be.call('placement.record', { id: 'PL2', batch_id: 'B1', assignment_id: 'A2', date: '2025-01-01', count: 100000, avg_weight_g: 400 }));
}
say('READY');
const day = () => `2025-${String(1 + Math.floor(rnd() * 5)).padStart(2, '0')}-${String(2 + Math.floor(rnd() * 26)).padStart(2, '0')}`;
for (;;) {
  const a = rnd() < 0.5 ? 'A1' : 'A2';
  const k = rnd();
  let r;
  if (k < 0.4) r = await be.call('mortality.record', { batch_id: 'B1', assignment_id: a, date: day(), count: 1 + Math.floor(rnd() * 20) });
  else if (k < 0.6) r = await be.call('sample.record', { batch_id: 'B1', assignment_id: a, date: day(), sample_size: 20, avg_weight_g: 500 + rnd() * 1500 });
  else if (k < 0.8) r = await be.call('feed.record', { batch_id: 'B1', assignment_id: a, date: day(), kg: rnd() * 500 });
  else if (k < 0.9) r = await be.call('temperature.record', { container_id: a === 'A1' ? 'P1' : 'P2', timestamp: `${day()}T08:00:00Z`, value: 6 + rnd() * 6 });
  else {
    const s = be.ctx.db.prepare("SELECT id FROM growth_samples WHERE voided = 0 ORDER BY random() LIMIT 1").get() as { id: string } | undefined;
    r = s ? await be.call('sample.correct', { id: s.id, patch: { avg_weight_g: 500 + rnd() * 1500 }, reason: 'recount' }) : null;
  }
  if (r && r.ok) say(`COMMITTED ${(r.value as { event_id: string }).event_id}`);
}
