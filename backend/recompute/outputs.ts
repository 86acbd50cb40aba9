/**
 * A batch's outputs besides the daily states, kept in parts (migration 0004): one row per output
 * kind and assignment, so a recompute after an edit rewrites only what changed. The engine reuses
 * the objects of unchanged assignments (rows, weeks, forecasts), so "changed" is decided by object
 * identity against what this connection wrote last, without stringifying or comparing text.
 */
import type Database from 'better-sqlite3';
import { fcrByAssignment, type FcrRow, type StatesDocument } from '../../engine/index';
/** The engine's: stored span rows and rolling rows rebuilt from daily states, in document order. */
export { fcrInEngineOrder } from '../../engine/index';
import { stmt } from './batch-document';

export type PartName = 'weekly' | 'fcr:span' | 'anchors' | 'forecast' | 'scenario' | 'variance';

export interface Part { part: PartName; key: string; seq: number; value: object }

/** What was written last per part (its place too): arrays compare element by element, objects by identity. */
export type Written = Map<string, { value: object; seq: number }>;

const partKey = (part: string, key: string) => `${part}\u0000${key}`;

/** Runs of consecutive elements with the same key (the engine writes them grouped). */
function runs<T>(list: readonly T[], keyOf: (x: T) => string): [string, T[]][] {
  const out: [string, T[]][] = [];
  let start = 0;
  for (let i = 1; i <= list.length; i++) {
    if (i === list.length || keyOf(list[i]!) !== keyOf(list[start]!)) {
      out.push([keyOf(list[start]!), list.slice(start, i)]);
      start = i;
    }
  }
  return out;
}

/** The parts of a states document, in output order. */
export function partsOf(s: StatesDocument): Part[] {
  const parts: Part[] = [
    { part: 'weekly', key: '', seq: -1, value: s.weekly.batch },
    { part: 'scenario', key: '', seq: -1, value: s.scenario },
    { part: 'variance', key: '', seq: -1, value: s.variance },
    { part: 'forecast', key: '', seq: -1, value: s.forecast.batch },
  ];
  s.weekly.assignments.forEach((w, i) => parts.push({ part: 'weekly', key: w.assignment_id, seq: i, value: w.weeks }));
  s.forecast.assignments.forEach((f, i) => parts.push({ part: 'forecast', key: f.assignment_id, seq: i, value: f }));
  runs(s.anchors, (a) => a.assignment_id).forEach(([id, rows], i) => parts.push({ part: 'anchors', key: id, seq: i, value: rows }));
  // Only the span rows: the 7- and 30-day rows (two per assignment-day, two thirds of a batch's
  // output) follow from the stored daily feed and growth, and are rebuilt from them when read.
  let i = 0;
  for (const [id, rows] of fcrByAssignment(s)) {
    const span = spanRows(rows);
    if (span.length > 0) parts.push({ part: 'fcr:span', key: id, seq: i, value: span });
    i++;
  }
  return parts;
}

/** An assignment's span rows (the engine puts them first), kept with its rows: unchanged ones stay the same object. */
const SPANS = new WeakMap<readonly FcrRow[], FcrRow[]>();
function spanRows(rows: readonly FcrRow[]): FcrRow[] {
  let span = SPANS.get(rows);
  if (!span) {
    let n = 0;
    while (n < rows.length && rows[n]!.window === 'span') n++;
    span = rows.slice(0, n);
    SPANS.set(rows, span);
  }
  return span;
}

/** The written-parts record of a document read back from the tables. */
export function writtenOf(s: StatesDocument): Written {
  return new Map(partsOf(s).map((p) => [partKey(p.part, p.key), { value: p.value, seq: p.seq }]));
}

function same(a: object, b: object): boolean {
  if (a === b) return true;
  if (!a || !Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** JSON of elements an incremental recompute mostly reuses by identity: each element is stringified once. */
const elementJson = new WeakMap<object, string>();
function json(v: object): string {
  if (!Array.isArray(v)) return JSON.stringify(v);
  const parts = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) {
    const e = v[i] as object;
    let j = elementJson.get(e);
    if (j === undefined) { j = JSON.stringify(e); elementJson.set(e, j); }
    parts[i] = j;
  }
  return `[${parts.join(',')}]`;
}

/**
 * Writes the parts that differ from `last` (all of them when `last` is null, after deleting the
 * batch's old parts) and deletes parts that no longer exist. Returns what is now written. Runs
 * inside the caller's transaction.
 */
export function writeParts(db: Database.Database, batchId: string, parts: Part[], last: Written | null): Written {
  const up = stmt(db, `INSERT INTO batch_output_parts (batch_id, part, key, seq, json) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT(batch_id, part, key) DO UPDATE SET seq = excluded.seq, json = excluded.json`);
  if (!last) stmt(db, 'DELETE FROM batch_output_parts WHERE batch_id = ?').run(batchId);
  const written: Written = new Map();
  for (const p of parts) {
    const k = partKey(p.part, p.key);
    written.set(k, { value: p.value, seq: p.seq });
    const before = last?.get(k);
    if (before && before.seq === p.seq && same(before.value, p.value)) continue;
    up.run(batchId, p.part, p.key, p.seq, json(p.value));
  }
  if (last) {
    const del = stmt(db, 'DELETE FROM batch_output_parts WHERE batch_id = ? AND part = ? AND key = ?');
    for (const k of last.keys()) if (!written.has(k)) { const [part, key] = k.split('\u0000'); del.run(batchId, part, key); }
  }
  return written;
}

/** The parts of a batch as stored, parsed, by part name in output order (key '' first). */
export function readParts(db: Database.Database, batchId: string, names: readonly PartName[]): Map<PartName, { key: string; value: unknown }[]> {
  const out = new Map<PartName, { key: string; value: unknown }[]>(names.map((n) => [n, []]));
  if (names.length === 0) return out;
  const sql = `SELECT part, key, json FROM batch_output_parts WHERE batch_id = ? AND part IN (${names.map(() => '?').join(', ')}) ORDER BY part, seq`;
  for (const [part, key, text] of stmt(db, sql).raw().all(batchId, ...names) as [PartName, string, string][]) out.get(part)!.push({ key, value: JSON.parse(text) });
  return out;
}

/** The batch-level value of a part (`null` when the batch has none stored). */
export function batchPart<T>(parts: Map<PartName, { key: string; value: unknown }[]>, name: PartName): T | null {
  return (parts.get(name)?.find((p) => p.key === '')?.value as T | undefined) ?? null;
}

/** The per-assignment values of a part, concatenated when they are lists. */
export function assignmentParts<T>(parts: Map<PartName, { key: string; value: unknown }[]>, name: PartName): T[] {
  const out: T[] = [];
  for (const p of parts.get(name) ?? []) {
    if (p.key === '') continue;
    if (Array.isArray(p.value)) for (const v of p.value) out.push(v as T);
    else out.push(p.value as T);
  }
  return out;
}
