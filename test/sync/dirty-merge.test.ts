/**
 * A pulled page (and a push on the server) holds its dirty marks and writes them merged per batch:
 * the markers must end as marking event by event leaves them (the earliest day, the same input
 * lists in the same order); only `generation` may count fewer increments (still ≥ 1).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../backend/db/connection';
import { ensureDevice } from '../../backend/events/append';
import { EventApplier, type EventRow } from '../../sync/apply';
import { makeLaptop, seedSite } from './helpers';

describe('merged dirty marks', () => {
  it('equal the markers of marking one by one, for a mix of records, logs, corrections, voids and an assignment', () => {
    const noFetch = async () => { throw new Error('offline'); };
    const a = makeLaptop('a', 'S', 'token', noFetch);
    seedSite(a, 'S');
    a.write('assignment', 'A3', 'recorded', { batch_id: 'B1', container_id: 'P2', stage: 'Adult' });
    const log = (day: string, n: number) => ({ container_id: 'P2', source: 'logger', readings: Array.from({ length: n }, (_, i) => ({ timestamp: `${day}T${String(i).padStart(2, '0')}:00:00Z`, value: 9 + i / 10 })) });
    a.write('temperature_log', '00000000-0000-7000-8000-000000000001', 'recorded', log('2025-03-05', 24));
    a.write('mortality', 'M1', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-04-01', count: 5 });
    a.write('feed', 'F1', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-01', kg: 10 });
    a.write('temperature_log', '00000000-0000-7000-8000-000000000002', 'recorded', log('2025-01-20', 12));
    a.write('mortality', 'M1', 'corrected', { patch: { date: '2025-01-15' }, reason: 'x' });
    a.write('growth_sample', 'G1', 'recorded', { batch_id: 'B1', assignment_id: 'A2', date: '2025-03-01', sample_size: 20, avg_weight_g: 900 });
    a.write('temperature_log', '00000000-0000-7000-8000-000000000001', 'voided', { reason: 'x' });
    a.write('feed', 'F1', 'voided', { reason: 'x' });
    const events = a.conn.sqlite.prepare('SELECT * FROM events ORDER BY device_seq').all() as EventRow[];
    expect(events.length).toBeGreaterThan(12);

    const markers = (hold: boolean) => {
      const conn = openDatabase(join(mkdtempSync(join(tmpdir(), 'aquamind-dirty-')), 'site.db'));
      ensureDevice(conn.sqlite, randomUUID(), new Date());
      const applier = new EventApplier(conn.sqlite);
      const ins = conn.sqlite.prepare(`INSERT INTO events (event_id, device_id, device_seq, hlc, occurred_at, type, v, entity_type, entity_id, site_id,
        base_event_ids, actor, payload, payload_sha256, server_seq, received_at, effective_ts, deferred) VALUES (@event_id, @device_id, @device_seq, @hlc,
        @occurred_at, @type, @v, @entity_type, @entity_id, @site_id, @base_event_ids, @actor, @payload, @payload_sha256, @server_seq, @received_at, @effective_ts, 0)`);
      // the setup (it marks everything '*'), then markers cleared as a recompute would, then two
      // transactions of measurements: the second merges into the markers the first left
      const setup = events.findIndex((e) => e.entity_type === 'temperature_log');
      const rest = events.slice(setup);
      for (const [i, part] of [events.slice(0, setup), rest.slice(0, 4), rest.slice(4)].entries()) {
        if (i === 1) conn.sqlite.exec('DELETE FROM dirty_batches');
        conn.sqlite.transaction(() => {
          if (hold) applier.holdDirty();
          for (const e of part) { ins.run({ ...e, deferred: 0 }); applier.project(e); }
          if (hold) applier.flushDirty();
        })();
      }
      const rows = conn.sqlite.prepare('SELECT batch_id, from_date, inputs, generation FROM dirty_batches ORDER BY batch_id').all() as { generation: number }[];
      conn.close();
      return rows;
    };
    const one = markers(false), merged = markers(true);
    expect(one.length).toBeGreaterThan(0);
    expect((one as unknown as { inputs: string }[]).some((r) => r.inputs !== '*' && r.inputs.includes(','))).toBe(true); // lists merged, not everything
    expect(merged.map(({ generation: _g, ...r }) => r)).toEqual(one.map(({ generation: _g, ...r }) => r));
    for (const r of merged) expect(r.generation).toBeGreaterThanOrEqual(1);
    a.conn.close();
  });
});
