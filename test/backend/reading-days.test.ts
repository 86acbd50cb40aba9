import { describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { assimilate, ReadingAggregator } from '../../engine/index';
import { loadMigrations, migrate } from '../../backend/db/migrate';
import { buildBatchDocument } from '../../backend/recompute/batch-document';
import { verifyBatch } from '../../backend/recompute/verify';
import { TEMPERATURE_LOG } from '../../backend/kinds';
import { Projector } from '../../backend/projection';
import { TemperatureLogs } from '../../backend/temperature-logs';
import { must, openBackend, seedSmallSite } from './helpers';
import type Database from 'better-sqlite3';

/** The day sums from scratch: the non-voided readings the engine keeps, summed in JavaScript. */
function expected(db: Database.Database): Record<string, { sum: number; n: number; lone: number | null }> {
  const out: Record<string, { sum: number; n: number; lone: number | null; v: number }> = {};
  const rows = db.prepare('SELECT container_id, date, value FROM temperature_readings WHERE voided = 0').all() as { container_id: string; date: string; value: number }[];
  // a log's kept readings are its recorded event's payload (migration 0007), dated as the projector dates them
  const tz = (db.prepare('SELECT timezone FROM site').get() as { timezone: string } | undefined)?.timezone ?? 'UTC';
  const projector = new Projector(db);
  for (const [container_id, ts, value] of new TemperatureLogs(db).keptReadings((db.prepare('SELECT id FROM containers').all() as { id: string }[]).map((c) => c.id))) {
    rows.push({ container_id, date: projector.readingDate(tz, ts), value });
  }
  for (const r of rows) {
    if (r.value < -3 || r.value > 40) continue;
    const k = `${r.container_id} ${r.date}`;
    const x = (out[k] ??= { sum: 0, n: 0, lone: null, v: r.value });
    x.sum += ReadingAggregator.fixed(r.value); x.n++;
  }
  return Object.fromEntries(Object.entries(out).map(([k, x]) => [k, { sum: x.sum, n: x.n, lone: x.n === 1 ? x.v : null }]));
}
function stored(db: Database.Database) {
  return Object.fromEntries((db.prepare('SELECT * FROM temperature_reading_days').all() as { container_id: string; date: string; sum: number; n: number; lone: number | null }[])
    .map((r) => [`${r.container_id} ${r.date}`, { sum: r.sum, n: r.n, lone: r.n === 1 ? r.lone : null }]));
}

describe('per container-day reading sums (migrations 0002, 0005)', () => {
  it('follow every record, correction, void and restore of readings and logs; recompute equals assimilate of the dumped document', async () => {
    const be = await openBackend();
    await seedSmallSite(be);
    const db = be.ctx.db;
    // awkward values: many decimals, negatives, a value the engine drops
    const values = [7.123456789012, -0.5000000001, 12.3, 8.000000000499999, 45, 6.25, -2.75];
    for (const [i, v] of values.entries()) must(await be.call('temperature.record', { id: `R${i}`, container_id: 'P1', timestamp: `2025-03-0${1 + (i % 3)}T0${i}:00:00Z`, value: Math.min(v, 40) }));
    db.prepare("UPDATE temperature_readings SET value = 45 WHERE id = 'R4'").run(); // out of range, as a log file could bring
    expect(stored(db)).toEqual(expected(db));
    must(await be.call('temperature.correct', { id: 'R0', patch: { value: 9.87654321 }, reason: 'r' }));
    must(await be.call('temperature.correct', { id: 'R1', patch: { timestamp: '2025-03-05T10:00:00Z' }, reason: 'wrong day' }));
    must(await be.call('temperature.void', { id: 'R2', reason: 'r' }));
    expect(stored(db)).toEqual(expected(db));
    must(await be.call('temperature.restore', { id: 'R2', reason: 'r' }));
    must(await be.call('temperature.void', { id: 'R5', reason: 'r' })); // leaves a day with one reading: lone comes back
    expect(stored(db)).toEqual(expected(db));
    // a logger file: one event of many readings, then voided and restored whole
    const readings = Array.from({ length: 200 }, (_, i) => ({ timestamp: new Date(Date.UTC(2025, 1, 1) + i * 3_600_000).toISOString(), value: 5 + Math.sin(i) * 3.3333333 }));
    be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: 'LOG1', kind: 'recorded', payload: { container_id: 'P1', readings } }]);
    expect(stored(db)).toEqual(expected(db));
    be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: 'LOG1', kind: 'voided', payload: { reason: 'wrong logger' } }]);
    expect(stored(db)).toEqual(expected(db));
    be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: 'LOG1', kind: 'restored', payload: { reason: 'right logger' } }]);
    expect(stored(db)).toEqual(expected(db));
    // a log whose days meet single readings, with a value the engine drops and a day of its own (lone)
    be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: 'LOG2', kind: 'recorded', payload: { container_id: 'P1', readings: [
      { timestamp: '2025-03-01T12:00:00Z', value: 7.77777777777 }, { timestamp: '2025-03-02T12:00:00Z', value: 45 },
      { timestamp: '2025-03-20T12:00:00Z', value: 6.1234567891 }, { timestamp: '2025-03-02T13:00:00Z', value: 8.5 },
    ] } }]);
    expect(stored(db)).toEqual(expected(db));
    be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: 'LOG2', kind: 'voided', payload: { reason: 'wrong pen' } }]);
    expect(stored(db)).toEqual(expected(db));
    be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: 'LOG2', kind: 'restored', payload: { reason: 'right pen' } }]);
    expect(stored(db)).toEqual(expected(db));
    db.prepare("DELETE FROM temperature_readings WHERE id = 'R3'").run(); // sync rebuilds delete rows directly
    expect(stored(db)).toEqual(expected(db));
    must(await be.call('recompute.run', { full: true }));

    expect(verifyBatch(db, 'B1')).toEqual([]);
    const doc = buildBatchDocument(db, 'B1', { asOf: be.ctx.today() })!;
    const fresh = assimilate(JSON.parse(JSON.stringify(doc)));
    if (!fresh.ok) throw new Error(JSON.stringify(fresh.errors));
    const warnings = JSON.parse((db.prepare("SELECT warnings FROM batch_outputs WHERE batch_id = 'B1'").get() as { warnings: string }).warnings);
    expect(warnings).toEqual(fresh.states.warnings); // the dropped 45 °C reading warns the same
    expect(fresh.states.warnings.some((w) => /outside −3…40/.test(w.message))).toBe(true);
    await be.close();
  });

  it('a time zone change moves readings to their new local dates', async () => {
    const be = await openBackend();
    await seedSmallSite(be);
    must(await be.call('temperature.record', { id: 'R1', container_id: 'P1', timestamp: '2025-03-01T23:30:00Z', value: 8 }));
    expect(be.ctx.db.prepare("SELECT date FROM temperature_readings WHERE id = 'R1'").get()).toEqual({ date: '2025-03-01' });
    must(await be.call('site.update', { patch: { timezone: 'Europe/Oslo' } }));
    expect(be.ctx.db.prepare("SELECT date FROM temperature_readings WHERE id = 'R1'").get()).toEqual({ date: '2025-03-02' });
    expect(stored(be.ctx.db)).toEqual(expected(be.ctx.db));
    expect(verifyBatch(be.ctx.db, 'B1')).toEqual([]);
    await be.close();
  });

  it('the migration fills the table from readings already stored', () => {
    const raw = new BetterSqlite3(':memory:');
    const all = loadMigrations();
    migrate(raw, all.slice(0, 1));
    raw.exec(`INSERT INTO site (id, name) VALUES ('S', 'S'); INSERT INTO containers (id, site_id, name, environment) VALUES ('C', 'S', 'C', 'sea')`);
    const ins = raw.prepare("INSERT INTO temperature_readings (id, container_id, timestamp, date, value, voided) VALUES (?, 'C', ?, ?, ?, ?)");
    for (let i = 0; i < 100; i++) ins.run(`r${i}`, `t${i}`, `2025-01-${String(1 + (i % 9)).padStart(2, '0')}`, 3 + i / 7 - (i % 5 === 0 ? 50 : 0), i % 13 === 0 ? 1 : 0);
    migrate(raw, all);
    expect(stored(raw)).toEqual(expected(raw));
    raw.close();
  });
});
