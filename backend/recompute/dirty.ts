/**
 * Dirty markers: a batch whose states are stale from a day on, and which of its inputs changed
 * since it was last computed. Every writer marks through here, so the sets merge the same way
 * everywhere (a writer that forgot the inputs would leave a recompute reusing a stale list).
 */
import type Database from 'better-sqlite3';

/** Every input: the recompute reloads the whole batch document. */
export const ALL_INPUTS = '*';
/** The temperature inputs of the batch's containers (readings, their day sums, daily means). */
export const TEMPERATURE_INPUTS = 'temperature';

const MARK = `INSERT INTO dirty_batches (batch_id, from_date, generation, inputs) VALUES (?, ?, 1, ?)
  ON CONFLICT(batch_id) DO UPDATE SET
    from_date = min(from_date, excluded.from_date),
    generation = generation + 1,
    inputs = CASE
      WHEN inputs = '*' OR excluded.inputs = '*' THEN '*'
      WHEN instr(',' || inputs || ',', ',' || excluded.inputs || ',') > 0 THEN inputs
      ELSE inputs || ',' || excluded.inputs END`;

const prepared = new WeakMap<Database.Database, Database.Statement>();

/** Marks a batch dirty from `fromDate` with `inputs` changed (one list name, or '*'). */
export function markDirty(db: Database.Database, batchId: string, fromDate: string, inputs: string = ALL_INPUTS): void {
  let s = prepared.get(db);
  if (!s) { s = db.prepare(MARK); prepared.set(db, s); }
  s.run(batchId, fromDate, inputs);
}

/** The changed inputs of a marker: null means all of them. */
export function changedInputs(inputs: string | null | undefined): Set<string> | null {
  if (!inputs || inputs === ALL_INPUTS) return null;
  return new Set(inputs.split(','));
}
