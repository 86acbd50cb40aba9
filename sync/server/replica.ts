/**
 * The server's projection of a site: an in-memory SQLite database with the app's own schema
 * (migrations/sqlite), fed with the site's accepted events in server_seq order through the same
 * projection code as the laptops (backend Projector + sync/apply.ts). It validates incoming events
 * (an event whose projection fails is rejected) and is the input of the server-side recompute,
 * which runs the same engine via the backend's Recomputer. Rebuilt from PostgreSQL on start.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { migrate } from '../../backend/db/migrate';
import { Recomputer } from '../../backend/recompute/recompute';
import { localDate } from '../../backend/time';
import { EventApplier, isKnownVersion, type EventRow } from '../apply';

const require = createRequire(import.meta.url);

export class SiteReplica {
  readonly db: BetterSqlite3.Database;
  readonly applier: EventApplier;
  lastSeq = 0;
  private readonly insert: BetterSqlite3.Statement;

  constructor(readonly siteId: string) {
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    this.db = new Database(':memory:');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    this.applier = new EventApplier(this.db);
    this.insert = this.db.prepare(`INSERT OR IGNORE INTO events (event_id, device_id, device_seq, hlc, occurred_at, type, v, entity_type, entity_id,
      site_id, base_event_ids, actor, payload, payload_sha256, server_seq, received_at, effective_ts, deferred)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.savepoint = this.db.transaction((fn: () => unknown) => fn());
  }

  /** Stores and projects one event (inside the caller's transaction); throws when the projection fails. */
  add(ev: EventRow): void {
    const deferred = isKnownVersion(ev.type, ev.v) ? 0 : 1;
    // the device's own (device_id, device_seq) may clash in the replica only if the server let it in twice: never
    this.insert.run(ev.event_id, ev.device_id, ev.device_seq, ev.hlc, ev.occurred_at, ev.type, ev.v, ev.entity_type, ev.entity_id, ev.site_id,
      ev.base_event_ids, ev.actor, ev.payload, ev.payload_sha256, ev.server_seq ?? null, ev.received_at ?? null, ev.effective_ts ?? null, deferred);
    if (!deferred) this.applier.project({ ...ev, deferred });
    if (ev.server_seq != null && ev.server_seq > this.lastSeq) this.lastSeq = ev.server_seq;
  }

  /** better-sqlite3's transaction wrapper, made once (making one per event cost ~8 µs). */
  private readonly savepoint: (fn: () => unknown) => unknown;

  /** Runs `fn` in a savepoint; on error the savepoint is rolled back and the error rethrown. */
  trial<T>(fn: () => T): T {
    return this.savepoint(fn) as T;
  }

  timezone(): string {
    return (this.db.prepare('SELECT timezone FROM site LIMIT 1').get() as { timezone: string } | undefined)?.timezone ?? 'UTC';
  }

  recomputer(clock: () => Date): Recomputer {
    return new Recomputer(this.db, () => localDate(this.timezone(), clock()), clock);
  }

  close(): void { this.db.close(); }
}

/** A promise-chain mutex per key. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const next = new Promise<void>((r) => { release = r; });
    const tail = prev.then(() => next);
    this.tails.set(key, tail);
    await prev;
    try { return await fn(); } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
