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

export type WorkerRequest = { type: 'run'; seq: number; today: string; now: string } | { type: 'stop' };
export type WorkerReply =
  | { type: 'progress'; p: ApiEvents['recompute.progress'] }
  | { type: 'fresh'; o: RecomputeOutcome }
  | { type: 'done'; seq: number }
  | { type: 'warmed'; batches: number; ms: number }
  | { type: 'error'; seq: number; message: string };

export const WORKER_YOUNG_GENERATION_MB = 48;
export const WORKER_OLD_GENERATION_MB = 384;

export function workerScheduler(dbPath: string, today: () => string, now: () => Date, emit: Emit): Scheduler {
  // From TypeScript sources (tsx, vitest) the worker boots through tsx's API; a build ships worker.js.
  const fromTs = import.meta.url.endsWith('.ts');
  // Heap sizes: an edit allocates ~2–4 MB now (pen-level resume); a full recompute of a 60-batch
  // site allocates far more, and with a 96 MB nursery and no cap on the old generation the process
  // reached 557 MB RSS (measured). A 48 MB young generation and the old-generation cap make V8
  // collect before growing: ~370 MB (64 MB: 421 MB; 32 MB: edits' p95 53 ms on the large site).
  // The worker's live data is the recomputer's memory (bounded, ~150 MB) plus one batch being
  // computed (~60 MB for a 900-day sea batch).
  const worker = new Worker(new URL(fromTs ? './worker-boot.mjs' : './worker.js', import.meta.url), {
    workerData: { dbPath }, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB },
  });
  worker.unref();
  let seq = 0;
  let queued = false; // a run request is waiting that has not started yet
  const waiters = new Map<number, () => void>();
  let lastDone = 0;
  let warmedAs: ((w: { batches: number; ms: number }) => void) | null = null;
  const warmed = new Promise<{ batches: number; ms: number }>((resolve) => { warmedAs = resolve; });
  worker.on('message', (m: WorkerReply) => {
    if (m.type === 'progress') { queued = false; emit('recompute.progress', m.p); }
    else if (m.type === 'fresh') emitOutcome(emit, m.o);
    else if (m.type === 'warmed') warmedAs?.({ batches: m.batches, ms: m.ms });
    else {
      queued = false;
      lastDone = Math.max(lastDone, m.seq);
      for (const [s, w] of waiters) if (s <= lastDone) { waiters.delete(s); w(); }
    }
  });
  worker.on('error', (e) => { for (const w of waiters.values()) w(); waiters.clear(); console.error('recompute worker failed:', e); });
  const send = (): number => {
    seq++;
    const msg: WorkerRequest = { type: 'run', seq, today: today(), now: now().toISOString() };
    worker.postMessage(msg);
    return seq;
  };
  return {
    kick() { if (!queued) { queued = true; send(); } },
    drain() {
      const s = send();
      return new Promise<void>((resolve) => { if (lastDone >= s) resolve(); else waiters.set(s, resolve); });
    },
    async close() {
      worker.postMessage({ type: 'stop' } satisfies WorkerRequest);
      await worker.terminate();
    },
    warmed: () => warmed,
  };
}
