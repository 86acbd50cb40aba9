/** The digest of a batch's daily states, equal on laptop and server for equal states (sync.md §5). */
import type Database from 'better-sqlite3';
import { canonicalJson, sha256Hex } from '../backend/events/canonical';

export interface BatchStateRow {
  date: string; day_number: number; avg_weight_g: number | null; population: number; biomass_kg: number;
  container_count: number; feed_kg: number; growth_kg: number; deaths: number;
}

export const BATCH_STATE_FIELDS = ['date', 'day_number', 'avg_weight_g', 'population', 'biomass_kg', 'container_count', 'feed_kg', 'growth_kg', 'deaths'] as const;

export function statesDigest(rows: BatchStateRow[]): string {
  const norm = [...rows].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))
    .map((r) => BATCH_STATE_FIELDS.map((f) => r[f] ?? null));
  return sha256Hex(canonicalJson(norm));
}

export function sqliteBatchStates(db: Database.Database, batchId: string): BatchStateRow[] {
  return db.prepare(`SELECT ${BATCH_STATE_FIELDS.join(', ')} FROM batch_states WHERE batch_id = ? ORDER BY date`).all(batchId) as BatchStateRow[];
}
