/** The recompute worker: its own connection to the site database; runs every dirty batch on request. */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/connection';
import { Recomputer } from './recompute';
import type { WorkerReply, WorkerRequest } from './scheduler';

const { dbPath } = workerData as { dbPath: string };
const conn = openDatabase(dbPath, { migrate: false });
conn.sqlite.pragma('wal_autocheckpoint = 0'); // checkpoints when edits pause (below), off the edit path
// Only derived data is written here, each batch's states with the clearing of its dirty marker in
// one transaction: a commit lost to a power cut leaves the marker, and the batch is computed again.
// So no fsync per commit (WAL keeps the database consistent either way); events stay FULL.
conn.sqlite.pragma('synchronous = NORMAL');
let today = '';
let now = new Date();
const rc = new Recomputer(conn.sqlite, () => today, () => now);
const post = (m: WorkerReply) => parentPort!.postMessage(m);

// Between requests, the clean batches' states and inputs are loaded into memory one at a time, so
// the first edit after a start is as fast as the next ones; a request waits for one batch at most.
let warming: ReturnType<typeof setImmediate> | null = null;
let warmedOnce = false;
const bornAt = performance.now();
const warm = () => {
  warming = null;
  try { if (rc.warmNext()) { warming = setImmediate(warm); return; } } catch { /* a busy database: the next edit loads it */ }
  if (!warmedOnce) { warmedOnce = true; post({ type: 'warmed', batches: rc.inMemory(), ms: performance.now() - bornAt }); }
};

// The write-ahead log is moved into the database once edits pause (a checkpoint takes 5–20 ms
// with its fsync; run right after each recompute it delayed the next edit behind it), and at
// the latest every CHECKPOINT_MAX_MS while edits keep coming.
const CHECKPOINT_IDLE_MS = 1000;
const CHECKPOINT_MAX_MS = 10_000;
let checkpointTimer: ReturnType<typeof setTimeout> | null = null;
let uncheckpointedSince = 0;
const checkpointSoon = () => {
  if (checkpointTimer) clearTimeout(checkpointTimer);
  const now = Date.now();
  if (uncheckpointedSince === 0) uncheckpointedSince = now;
  const run = () => { checkpointTimer = null; uncheckpointedSince = 0; rc.checkpoint(); };
  if (now - uncheckpointedSince >= CHECKPOINT_MAX_MS) run();
  else checkpointTimer = setTimeout(run, CHECKPOINT_IDLE_MS);
};

parentPort!.on('message', (m: WorkerRequest) => {
  if (m.type === 'stop') { if (warming) clearImmediate(warming); if (checkpointTimer) clearTimeout(checkpointTimer); conn.close(); process.exit(0); }
  if (m.type === 'crash') process.exit(70); // tests: a crash, as the scheduler sees one
  today = m.today;
  now = new Date(m.now);
  try {
    const outs = rc.runAll({ progress: (p) => post({ type: 'progress', p }), fresh: (o) => post({ type: 'fresh', o }) });
    post({ type: 'done', seq: m.seq });
    if (outs.length) checkpointSoon();
  } catch (e) {
    post({ type: 'error', seq: m.seq, message: (e as Error).message });
  }
  warming ??= setImmediate(warm);
});
