/** The recompute worker: its own connection to the site database; runs every dirty batch on request. */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/connection';
import { Recomputer } from './recompute';
import type { WorkerReply, WorkerRequest } from './scheduler';

const { dbPath } = workerData as { dbPath: string };
const conn = openDatabase(dbPath, { migrate: false });
conn.sqlite.pragma('wal_autocheckpoint = 0'); // checkpoints after each round, off the edit path
let today = '';
let now = new Date();
const rc = new Recomputer(conn.sqlite, () => today, () => now);
const post = (m: WorkerReply) => parentPort!.postMessage(m);

parentPort!.on('message', (m: WorkerRequest) => {
  if (m.type === 'stop') { conn.close(); process.exit(0); }
  today = m.today;
  now = new Date(m.now);
  try {
    const outs = rc.runAll({ progress: (p) => post({ type: 'progress', p }), fresh: (o) => post({ type: 'fresh', o }) });
    post({ type: 'done', seq: m.seq });
    if (outs.length) rc.checkpoint();
  } catch (e) {
    post({ type: 'error', seq: m.seq, message: (e as Error).message });
  }
});
