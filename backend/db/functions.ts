/**
 * SQL functions the schema relies on, registered on every connection before it is used
 * (openDatabase, and migrate for connections opened elsewhere, e.g. the sync server's replica).
 *
 * aquamind_fixed(value): the fixed-point contribution of a temperature reading to its day's sum,
 * JavaScript's Math.round(value·1e9) exactly (engine/readings.ts, ReadingAggregator.fixed). The
 * triggers of migration 0002 use it; SQLite's own round() rounds halves away from zero and adds
 * 0.5 in floating point, which differs in rare corner cases.
 */
import type Database from 'better-sqlite3';
import { ReadingAggregator } from '../../engine/index';

const registered = new WeakSet<Database.Database>();

export function registerSqlFunctions(db: Database.Database): void {
  if (registered.has(db)) return;
  db.function('aquamind_fixed', { deterministic: true }, (v: unknown) =>
    (typeof v === 'number' ? ReadingAggregator.fixed(v) : typeof v === 'bigint' ? ReadingAggregator.fixed(Number(v)) : null));
  registered.add(db);
}
