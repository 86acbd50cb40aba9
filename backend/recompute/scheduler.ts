/**
 * Where recomputes run: in-process right after the write ('sync'), or in a worker thread with its
 * own connection ('worker'). Both expose kick (after a commit) and drain (wait until clean).
 */
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { ApiEventName, ApiEvents } from '../api/contract';
import { Recomputer, type RecomputeOutcome } from './recompute';

export interface Scheduler {
  kick(): void;
  drain(): Promise<void>;
  close(): Promise<void>;
  /** Resolves once the clean batches are in the recomputer's memory (the worker loads them after start). */
  warmed(): Promise<{ batches: number; ms: number }>;
  /** Tests: the worker thread exits as a crash would (the scheduler starts a new one). */
  crashForTests?(): void;
}

type Emit = <E extends ApiEventName>(e: E, p: ApiEvents[E]) => void;

function emitOutcome(emit: Emit, o: RecomputeOutcome): void {
  emit('states.fresh', { batch_id: o.batch_id, as_of: o.as_of, changed_states: o.changed_states, errors: o.errors.length, ms: o.ms });
}

export function syncScheduler(db: Database.Database, today: () => string, now: () => Date, emit: Emit, manual = false): Scheduler {
  const rc = new Recomputer(db, today, now);
  const run = () => {
    const outs = rc.runAll({ progress: (p) => emit('recompute.progress', p), fresh: (o) => emitOutcome(emit, o) });
    if (outs.length) rc.checkpoint();
  };
  return {
    kick: manual ? () => undefined : run,
    drain: async () => run(),
    close: async () => undefined,
    warmed: async () => ({ batches: 0, ms: 0 }),
  };
}

export type WorkerRequest = { type: 'run'; seq: number; today: string; now: string } | { type: 'stop' }
  /** Tests: the worker exits as a crash would. */
  | { type: 'crash' };
export type WorkerReply =
  | { type: 'progress'; p: ApiEvents['recompute.progress'] }
  | { type: 'fresh'; o: RecomputeOutcome }
  | { type: 'done'; seq: number }
  | { type: 'warmed'; batches: number; ms: number }
  | { type: 'error'; seq: number; message: string };

export const WORKER_YOUNG_GENERATION_MB = 48;
export const WORKER_OLD_GENERATION_MB = 384;
/** Worker restarts allowed within a minute before the scheduler gives up (see workerScheduler). */
export const RESTARTS_PER_MINUTE = 3;

export function workerScheduler(dbPath: string, today: () => string, now: () => Date, emit: Emit): Scheduler {
  // From TypeScript sources (tsx, vitest) the worker boots through tsx's API; a build ships worker.js.
  const fromTs = import.meta.url.endsWith('.ts');
  // Heap sizes: an edit allocates ~2–4 MB now (pen-level resume); a full recompute of a 60-batch
  // site allocates far more, and with a 96 MB nursery and no cap on the old generation the process
  // reached 557 MB RSS (measured). A 48 MB young generation and the old-generation cap make V8
  // collect before growing: ~370 MB (64 MB: 421 MB; 32 MB: edits' p95 53 ms on the large site).
  // The worker's live data is the recomputer's memory (bounded, ~150 MB) plus one batch being
  // computed (~60 MB for a 900-day sea batch).
  const start = () => {
    const w = new Worker(new URL(fromTs ? './worker-boot.mjs' : './worker.js', import.meta.url), {
      workerData: { dbPath }, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB },
    });
    w.unref();
    w.on('message', onMessage);
    // a crash (an exception outside a run, out of memory, a native fault) ends the thread: the
    // dirty marks are in the database, so a new worker takes the work up where it stopped
    w.on('error', (e) => console.error('recompute worker failed:', e));
    w.on('exit', (code) => { if (w === worker && !closing) restart(code); });
    return w;
  };
  let seq = 0;
  let queued = false; // a run request is waiting that has not started yet
  const waiters = new Map<number, () => void>();
  let lastDone = 0;
  let closing = false;
  let warmedAs: ((w: { batches: number; ms: number }) => void) | null = null;
  const warmed = new Promise<{ batches: number; ms: number }>((resolve) => { warmedAs = resolve; });
  const onMessage = (m: WorkerReply) => {
    if (m.type === 'progress') { queued = false; emit('recompute.progress', m.p); }
    else if (m.type === 'fresh') emitOutcome(emit, m.o);
    else if (m.type === 'warmed') warmedAs?.({ batches: m.batches, ms: m.ms });
    else {
      queued = false;
      lastDone = Math.max(lastDone, m.seq);
      for (const [s, w] of waiters) if (s <= lastDone) { waiters.delete(s); w(); }
    }
  };
  // Restarts: at most RESTARTS_PER_MINUTE in a row within a minute (a batch that crashes the worker
  // every time would otherwise loop); then the waiting callers are released and edits still save,
  // their states stay stale until the app starts again.
  const restarts: number[] = [];
  const restart = (code: number) => {
    const t = Date.now();
    while (restarts.length && t - restarts[0]! > 60_000) restarts.shift();
    if (restarts.length >= RESTARTS_PER_MINUTE) {
      console.error(`recompute worker exited (code ${code}) ${restarts.length + 1} times within a minute: not restarted; states stay stale until the app starts again`);
      for (const w of waiters.values()) w();
      waiters.clear();
      dead = true;
      return;
    }
    restarts.push(t);
    console.error(`recompute worker exited (code ${code}): restarted`);
    worker = start();
    queued = false;
    // the callers waiting for a run: one run of the new worker covers them all
    if (waiters.size) send();
    else kick();
  };
  let dead = false;
  let worker = start();
  const send = (): number => {
    seq++;
    const msg: WorkerRequest = { type: 'run', seq, today: today(), now: now().toISOString() };
    if (!dead) worker.postMessage(msg);
    else lastDone = seq;
    return seq;
  };
  const kick = () => { if (!queued) { queued = true; send(); } };
  return {
    kick,
    drain() {
      const s = send();
      return new Promise<void>((resolve) => { if (lastDone >= s) resolve(); else waiters.set(s, resolve); });
    },
    async close() {
      closing = true;
      worker.postMessage({ type: 'stop' } satisfies WorkerRequest);
      await worker.terminate();
    },
    crashForTests() { worker.postMessage({ type: 'crash' } satisfies WorkerRequest); },
    warmed: () => warmed,
  };
}
