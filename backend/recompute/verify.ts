/** Compares the stored states of a batch with a from-scratch assimilate of its document. */
import type Database from 'better-sqlite3';
import { assimilate } from '../../engine/index';
import { buildBatchDocument } from './batch-document';
import { Recomputer } from './recompute';
import { canonicalJson } from '../events/canonical';

export function verifyBatch(db: Database.Database, batchId: string): string[] {
  const out = db.prepare('SELECT as_of FROM batch_outputs WHERE batch_id = ?').get(batchId) as { as_of: string } | undefined;
  if (!out) return [`${batchId}: no stored outputs`];
  const doc = buildBatchDocument(db, batchId, { asOf: out.as_of });
  if (!doc) return [`${batchId}: no document`];
  const r = assimilate(doc);
  if (!r.ok) return [`${batchId}: engine errors ${JSON.stringify(r.errors.slice(0, 2))}`];
  const stored = new Recomputer(db, () => out.as_of).loadPrevious(batchId)!;
  const problems: string[] = [];
  const byId = <T extends { assignment_id: string }>(l: T[]): T[] => [...l].sort((a, b) => (a.assignment_id < b.assignment_id ? -1 : a.assignment_id > b.assignment_id ? 1 : 0));
  const want = byId(r.states.assignments), got = byId(stored.assignments);
  if (want.length !== got.length) problems.push(`${batchId}: ${got.length} stored assignment series, a full recompute has ${want.length}`);
  want.forEach((w, i) => {
    const g = got[i];
    if (!g || g.assignment_id !== w.assignment_id) { problems.push(`${batchId}: series ${w.assignment_id} missing`); return; }
    if (g.states.length !== w.states.length) problems.push(`${batchId}/${w.assignment_id}: ${g.states.length} stored states, ${w.states.length} computed`);
    for (let k = 0; k < w.states.length && problems.length < 20; k++)
      if (canonicalJson(w.states[k]) !== canonicalJson(g.states[k])) problems.push(`${batchId}/${w.assignment_id} ${w.states[k]!.date}: stored ${canonicalJson(g.states[k])} computed ${canonicalJson(w.states[k])}`);
  });
  if (canonicalJson(r.states.batch) !== canonicalJson(stored.batch)) problems.push(`${batchId}: batch states differ from a full recompute`);
  // every other output, as stored in parts and reassembled
  for (const k of ['anchors', 'fcr', 'weekly', 'scenario', 'variance', 'forecast', 'warnings'] as const)
    if (canonicalJson(r.states[k]) !== canonicalJson(stored[k])) problems.push(`${batchId}: ${k} differ from a full recompute`);
  return problems;
}
