/**
 * The central sync server (spec/sync.md §2–§7): fastify routes over kysely.
 *
 * Push: one transaction per request under a global transaction-level advisory lock, so server_seq
 * values commit in order and a pulling reader can never skip one that commits later. Events are
 * validated (envelope schema, hash, base events, and a trial projection in the site's replica);
 * a failing event is rejected for good with its reason, events built on it too; the rest of the
 * batch is accepted. After pushes that accepted events, the affected batches are recomputed with
 * the engine (same code as the laptops) and their states stored, stamped with engine_version and
 * the last server_seq: once the site's pushes pause (debounced, at most ~10 s late under load).
 */
import { createHash, randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { ENGINE_VERSION } from '../../engine/index';
import { sha256Hex } from '../../backend/events/canonical';
import { canonicalPayload } from '../canonical';
import { parseHlc } from '../../backend/events/hlc';
import { isKnownVersion, type EventRow } from '../apply';
import {
  CreateHqTokenSchema, CreateSiteSchema, MAX_BODY_BYTES, PROTOCOL_VERSION, PullQuerySchema, PushRequestSchema, RegisterDeviceSchema,
  RevokeSchema, StatesSnapshotSchema, wireEventJson, type EventResult, type PulledEvent, type WireEvent,
} from '../protocol';
import { sqliteBatchStates, statesDigest } from '../states';
import type { AnyDb, ServerDb } from './db';
import { KeyedMutex, SiteReplica } from './replica';
import { BATCH_COLS, STATE_COLS, type Recomputer } from '../../backend/recompute/recompute';

/** The PostgreSQL type of a state column (migrations/server 0001); the names are the app's (recompute.ts). */
function pgType(c: string): string {
  if (c === 'date') return 'date';
  if (c === 'day_number' || c === 'container_count') return 'integer';
  if (c === 'population') return 'bigint';
  if (c.endsWith('_id') || c === 'stage' || c === 'anchor_type' || c.startsWith('src_')) return 'text';
  return 'double precision';
}
const ASSIGNMENT_STATE_COLS: [string, string][] = STATE_COLS.map((c) => [c, pgType(c)]);
const BATCH_STATE_COLS: [string, string][] = BATCH_COLS.filter((c) => c !== 'batch_id').map((c) => [c, pgType(c)]);
const excludedSet = (cols: string[]) => [...cols.map((c) => `${c} = excluded.${c}`), 'engine_version = excluded.engine_version', 'last_server_seq = excluded.last_server_seq'].join(', ');
const UPSERT_ASSIGNMENT_SET = excludedSet(ASSIGNMENT_STATE_COLS.map(([c]) => c).filter((c) => c !== 'assignment_id' && c !== 'date'));
const UPSERT_BATCH_SET = excludedSet(BATCH_STATE_COLS.map(([c]) => c).filter((c) => c !== 'date'));
/** A batch's state rows as last written: assignment rows by assignment and date, batch rows by date. */
interface WrittenRows { a: Map<string, Map<string, Record<string, unknown>>>; b: Map<string, Record<string, unknown>> }
/** Same columns, same values (the rows of one query: same keys in the same order). */
function sameRow(a: Record<string, unknown> | undefined, b: Record<string, unknown>): boolean {
  if (!a) return false;
  for (const k in b) if (!Object.is(a[k], b[k])) return false;
  return true;
}
/**
 * JSON text escaping a character PostgreSQL stores in neither text nor jsonb: NUL, or an unpaired
 * UTF-16 surrogate (JSON.stringify writes a paired one as itself, an unpaired one as an escape).
 * The escape's backslash must not be itself escaped (an even run of backslashes before it).
 */
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(0000|d[89a-f][0-9a-f]{2})/gi;
const hasUnstorable = (jsonText: string) => { if (!jsonText.includes('\\u')) return false; UNSTORABLE_ESCAPE.lastIndex = 0; return UNSTORABLE_ESCAPE.test(jsonText); };
/** The same text with those characters replaced by U+FFFD (a rejected event is kept for the record). */
const storable = (jsonText: string) => jsonText.replace(UNSTORABLE_ESCAPE, '$1\\ufffd');
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorableText = (s: string) => s.includes('\u0000') || LONE_SURROGATE.test(s);

/** Accepted events per INSERT while a push is validated (sent as the loop goes on). */
const INSERT_CHUNK = 100;

export interface ServerOptions {
  db: ServerDb;
  clock?: () => Date;
  logger?: boolean;
  /** Recompute states after pushes (default true). */
  recompute?: boolean;
  /**
   * When: a site's recompute runs once its pushes pause for `quietMs`, and at the latest `maxWaitMs`
   * after the first push it has not covered (default 250 ms / 10 s). `idle()` runs what waits at once.
   */
  recomputeDelay?: { quietMs: number; maxWaitMs: number };
  /** Test hook: called inside the push transaction after the inserts, before commit. */
  beforeCommit?: (info: { siteId: string; deviceId: string; accepted: number }) => Promise<void> | void;
}

export interface SyncServer {
  app: FastifyInstance;
  /** Starts the recomputes waiting for their delay at once; resolves when every one has finished. */
  idle(): Promise<void>;
  /** The server's replica of a site (tests compare projections against it). */
  replica(siteId: string): Promise<SiteReplica>;
  close(): Promise<void>;
}

type Auth = { kind: 'device' | 'hq' | 'admin'; tokenId: number; siteId: string | null };

export const hashToken = (t: string) => createHash('sha256').update(t, 'utf8').digest('hex');
export const newToken = (prefix: string) => `${prefix}_${randomBytes(32).toString('base64url')}`;

class HttpError extends Error {
  constructor(readonly status: number, readonly body: Record<string, unknown>) { super(String(body.message ?? body.error)); }
}

const iso = (d: unknown): string => (d instanceof Date ? d.toISOString() : new Date(String(d)).toISOString());

/** Creates the admin token when none exists; returns it (only then). */
export async function ensureAdminToken(db: AnyDb, reset = false): Promise<string | null> {
  if (reset) await sql`UPDATE tokens SET revoked = true WHERE kind = 'admin'`.execute(db);
  const have = await sql<{ n: number }>`SELECT count(*)::int AS n FROM tokens WHERE kind = 'admin' AND NOT revoked`.execute(db);
  if ((have.rows[0]?.n ?? 0) > 0) return null;
  const token = newToken('amadm');
  await sql`INSERT INTO tokens (token_hash, kind, label) VALUES (${hashToken(token)}, 'admin', 'admin')`.execute(db);
  return token;
}

export async function buildServer(opts: ServerOptions): Promise<SyncServer> {
  const db = opts.db.db;
  const clock = opts.clock ?? (() => new Date());
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: MAX_BODY_BYTES });
  const replicas = new Map<string, SiteReplica>();
  const siteLock = new KeyedMutex();
  const pendingRecompute = new Set<Promise<void>>();
  const recomputeWanted = new Set<string>();
  const recomputeTimers = new Map<string, { timer: ReturnType<typeof setTimeout>; first: number }>();
  const pushesInFlight = new Map<string, number>();
  const recomputers = new WeakMap<SiteReplica, Recomputer>();
  /** Per replica and batch: the state rows last written to PostgreSQL, so a recompute writes only what changed. */
  const written = new WeakMap<SiteReplica, Map<string, WrittenRows>>();

  // ---------- helpers ----------
  async function authenticate(req: FastifyRequest): Promise<Auth> {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer ([A-Za-z0-9_.~+/=-]{1,200})$/.exec(h) : null;
    if (!m) throw new HttpError(401, { error: 'unauthorized', message: 'a bearer token is required' });
    const r = await sql<{ id: number; kind: Auth['kind']; site_id: string | null; revoked: boolean }>`
      SELECT id, kind, site_id, revoked FROM tokens WHERE token_hash = ${hashToken(m[1]!)}`.execute(db);
    const t = r.rows[0];
    if (!t || t.revoked) throw new HttpError(401, { error: 'unauthorized', message: 'unknown or revoked token' });
    return { kind: t.kind, tokenId: t.id, siteId: t.site_id };
  }

  function need(auth: Auth, ...kinds: Auth['kind'][]): void {
    if (!kinds.includes(auth.kind)) throw new HttpError(403, { error: 'forbidden', message: `this route needs a ${kinds.join(' or ')} token` });
  }

  function parse<T>(schema: z.ZodType<T>, v: unknown): T {
    const r = schema.safeParse(v);
    if (!r.success) {
      const i = r.error.issues[0]!;
      throw new HttpError(400, { error: 'invalid', field: i.path.join('.'), message: i.message.slice(0, 300) });
    }
    return r.data;
  }

  async function loadReplica(siteId: string, q: AnyDb | Transaction<any> = db): Promise<SiteReplica> { // eslint-disable-line @typescript-eslint/no-explicit-any
    let rep = replicas.get(siteId);
    if (!rep) { rep = new SiteReplica(siteId); replicas.set(siteId, rep); }
    // catch up with events committed elsewhere (another server process, or before a restart)
    for (;;) {
      const rows = (await sql<Record<string, unknown>>`SELECT * FROM events WHERE site_id = ${siteId} AND server_seq > ${rep.lastSeq}
        ORDER BY server_seq LIMIT 5000`.execute(q)).rows;
      if (rows.length === 0) break;
      const r = rep;
      r.db.transaction(() => { for (const row of rows) r.add(toEventRow(row)); })();
      written.delete(r); // events written by another process: its recomputes may have written states too
      if (rows.length < 5000) break;
    }
    return rep;
  }

  function toEventRow(r: Record<string, unknown>): EventRow {
    return {
      event_id: r.event_id as string, device_id: r.device_id as string, device_seq: Number(r.device_seq), hlc: r.hlc as string,
      occurred_at: r.occurred_at as string, type: r.type as string, v: Number(r.v), entity_type: r.entity_type as string,
      entity_id: r.entity_id as string, site_id: r.site_id as string, base_event_ids: JSON.stringify(r.base_event_ids),
      actor: r.actor as string, payload: canonicalPayload(r.payload), payload_sha256: r.payload_sha256 as string,
      server_seq: Number(r.server_seq), received_at: iso(r.received_at), effective_ts: iso(r.effective_ts),
    };
  }

  function toPulled(r: Record<string, unknown>): PulledEvent {
    return {
      event_id: r.event_id as string, device_id: r.device_id as string, device_seq: Number(r.device_seq), hlc: r.hlc as string,
      occurred_at: r.occurred_at as string, type: r.type as string, v: Number(r.v), entity_type: r.entity_type as string,
      entity_id: r.entity_id as string, site_id: r.site_id as string, base_event_ids: r.base_event_ids as string[],
      actor: r.actor as string, payload: r.payload as Record<string, unknown>, payload_sha256: r.payload_sha256 as string,
      server_seq: Number(r.server_seq), received_at: iso(r.received_at), effective_ts: iso(r.effective_ts),
    };
  }

  app.setErrorHandler((err: unknown, _req, reply) => {
    if (err instanceof HttpError) return reply.code(err.status).send(err.body);
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (e.statusCode === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: 'too_large', message: `the body is larger than ${MAX_BODY_BYTES} bytes` });
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return reply.code(e.statusCode).send({ error: 'bad_request', message: String(e.message).slice(0, 300) });
    app.log.error(err);
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });

  // ---------- push ----------
  app.post('/v1/sync/push', async (req, reply) => {
    const auth = await authenticate(req);
    need(auth, 'device');
    const body = parse(PushRequestSchema, req.body);
    const siteId = auth.siteId!;
    body.events.forEach((e, i) => {
      if (e.device_id !== body.device_id) throw new HttpError(400, { error: 'invalid', field: `events.${i}.device_id`, message: 'every event must carry the request device_id' });
      if (e.site_id !== siteId) throw new HttpError(403, { error: 'forbidden', field: `events.${i}.site_id`, message: 'this token is not bound to that site' });
      if (i > 0 && e.device_seq !== body.events[i - 1]!.device_seq + 1) throw new HttpError(400, { error: 'invalid', field: `events.${i}.device_seq`, message: 'events must be sorted by device_seq and contiguous' });
      if (e.type.slice(0, e.type.lastIndexOf('.')) !== e.entity_type) throw new HttpError(400, { error: 'invalid', field: `events.${i}.type`, message: 'type must start with entity_type' });
    });
    const ids = new Set(body.events.map((e) => e.event_id));
    if (ids.size !== body.events.length) throw new HttpError(400, { error: 'invalid', field: 'events', message: 'an event_id appears twice' });

    pushesInFlight.set(siteId, (pushesInFlight.get(siteId) ?? 0) + 1);
    let out: Awaited<ReturnType<typeof push>>;
    try { out = await siteLock.run(siteId, () => push(siteId, auth, body)); } finally {
      const n = pushesInFlight.get(siteId)! - 1;
      if (n > 0) pushesInFlight.set(siteId, n); else pushesInFlight.delete(siteId);
    }
    if (out.accepted > 0 && (opts.recompute ?? true)) scheduleRecompute(siteId);
    return reply.send({ results: out.results, server_now: out.now });
  });

  async function push(siteId: string, auth: Auth, body: z.infer<typeof PushRequestSchema>): Promise<{ results: EventResult[]; accepted: number; now: string }> {
    let rep: SiteReplica | undefined;
    let began = false;
    try {
      const res = await db.transaction().execute(async (tx) => {
        await sql`SELECT pg_advisory_xact_lock(727274)`.execute(tx);
        const now = clock();
        const nowIso = now.toISOString();
        // the device row: created on its first push, bound to the token's site
        await sql`INSERT INTO devices (device_id, site_id, token_id) VALUES (${body.device_id}, ${siteId}, ${auth.tokenId}) ON CONFLICT (device_id) DO NOTHING`.execute(tx);
        const dev = (await sql<{ site_id: string; last_seq: number }>`SELECT site_id, last_seq FROM devices WHERE device_id = ${body.device_id} FOR UPDATE`.execute(tx)).rows[0]!;
        if (dev.site_id !== siteId) throw new HttpError(403, { error: 'forbidden', message: 'this device belongs to another site' });

        rep = await loadReplica(siteId, tx);
        const evs = body.events;
        const idList = evs.map((e) => e.event_id);
        const existing = new Map((await sql<{ event_id: string; payload_sha256: string; server_seq: number; device_id: string; device_seq: number; effective_ts: Date }>`
          SELECT event_id, payload_sha256, server_seq, device_id, device_seq, effective_ts FROM events WHERE event_id = ANY(${idList}::uuid[])`.execute(tx)).rows.map((r) => [r.event_id, r]));
        const rejectedBefore = new Map((await sql<{ event_id: string; reason: string; sha: string }>`
          SELECT DISTINCT ON (event_id) event_id, reason, event->>'payload_sha256' AS sha FROM rejected_events WHERE event_id = ANY(${idList}::uuid[]) ORDER BY event_id, id`.execute(tx)).rows.map((r) => [r.event_id, r]));
        const own = new Set(idList);
        const baseIds = [...new Set(evs.flatMap((e) => e.base_event_ids))].filter((b) => !own.has(b));
        const baseKnown = new Map((baseIds.length ? (await sql<{ event_id: string; site_id: string; entity_type: string; entity_id: string }>`
          SELECT event_id, site_id, entity_type, entity_id FROM events WHERE event_id = ANY(${baseIds}::uuid[])`.execute(tx)).rows : []).map((r) => [r.event_id, r]));
        const baseRejected = new Set((baseIds.length ? (await sql<{ event_id: string }>`
          SELECT event_id FROM rejected_events WHERE event_id = ANY(${baseIds}::uuid[]) AND site_id = ${siteId}`.execute(tx)).rows : []).map((r) => r.event_id));
        const minSeq = evs[0]!.device_seq, maxSeq = evs[evs.length - 1]!.device_seq;
        const seqTaken = new Map((await sql<{ event_id: string; device_seq: number }>`
          SELECT event_id, device_seq FROM events WHERE device_id = ${body.device_id} AND device_seq BETWEEN ${minSeq} AND ${maxSeq}
          UNION ALL SELECT event_id, device_seq FROM rejected_events WHERE device_id = ${body.device_id} AND device_seq BETWEEN ${minSeq} AND ${maxSeq}`.execute(tx)).rows.map((r) => [Number(r.device_seq), r.event_id]));
        let counter = (await sql<{ last: number }>`SELECT last FROM server_seq_counter WHERE id = 1`.execute(tx)).rows[0]!.last;

        const offsetMs = now.getTime() - Date.parse(body.client_now);
        const results: EventResult[] = [];
        const accepted: { ev: WireEvent; seq: number; eff: string; payload: string }[] = [];
        const rejected: { ev: WireEvent; reason: string }[] = [];
        const acceptedIds = new Map<string, WireEvent>();
        const rejectedIds = new Set<string>();
        let last = dev.last_seq;

        // Accepted events go to PostgreSQL in chunks while the next ones are validated and projected
        // here: the INSERT runs on the database's core while this one projects (queries of one
        // transaction queue on its connection, in order). The loop yields after sending a chunk so
        // the query leaves; every chunk is awaited before the transaction ends.
        const inserts: Promise<void>[] = [];
        let insertError: unknown = null;
        let chunk: typeof accepted = [];
        const flush = () => {
          if (!chunk.length) return;
          const rows = chunk;
          chunk = [];
          inserts.push(insertEvents(tx, siteId, nowIso, rows).catch((e: unknown) => { insertError ??= e; }));
        };

        rep.db.exec('BEGIN');
        began = true;
        // the push's dirty marks in the replica, merged per batch, are written once after the loop
        // (a rejected event's marks stay: a batch marked for nothing is recomputed for nothing, no more)
        rep.applier.holdDirty();
        try {
          for (const ev of evs) {
            if (chunk.length >= INSERT_CHUNK) { flush(); await new Promise<void>((r) => setImmediate(r)); }
            const ex = existing.get(ev.event_id);
            if (ex) {
              if (ex.payload_sha256 === ev.payload_sha256) {
                results.push({ event_id: ev.event_id, status: 'duplicate', server_seq: ex.server_seq, effective_ts: iso(ex.effective_ts), reason: null,
                  ...(ex.device_id !== ev.device_id || Number(ex.device_seq) !== ev.device_seq ? { device_id: ex.device_id, device_seq: Number(ex.device_seq) } : {}) });
              } else {
                const reason = `event_id ${ev.event_id} was already received with another payload (a bug, logged)`;
                app.log.error({ event_id: ev.event_id, device_id: ev.device_id }, reason);
                rejected.push({ ev, reason });
                results.push({ event_id: ev.event_id, status: 'rejected', server_seq: null, reason });
              }
              last = Math.max(last, ev.device_seq);
              continue;
            }
            const rb = rejectedBefore.get(ev.event_id);
            if (rb) {
              results.push({ event_id: ev.event_id, status: 'rejected', server_seq: null, reason: rb.reason });
              rejectedIds.add(ev.event_id);
              last = Math.max(last, ev.device_seq);
              continue;
            }
            if (ev.device_seq <= last) {
              const other = seqTaken.get(ev.device_seq);
              throw new HttpError(409, { error: 'device_seq_conflict', message: `device_seq ${ev.device_seq} of device ${ev.device_id} is taken by another event${other ? ` (${other})` : ''}: register a new device_id` });
            }
            if (ev.device_seq > last + 1) throw new HttpError(409, { error: 'expected_seq', expected_seq: last + 1, message: `expected device_seq ${last + 1}, got ${ev.device_seq}` });
            last = ev.device_seq;

            const checked = validate(ev, siteId, acceptedIds, rejectedIds, baseKnown, baseRejected);
            let reason = typeof checked === 'string' ? checked : null;
            const seq = counter + 1;
            const eff = effectiveTs(ev, offsetMs, now);
            if (typeof checked !== 'string') {
              const row: EventRow = {
                ...ev, base_event_ids: JSON.stringify(ev.base_event_ids), payload: checked.payload, server_seq: seq, received_at: nowIso, effective_ts: eff,
              };
              try { rep.trial(() => rep!.add(row)); } catch (e) { reason = `invalid: ${(e as Error).message}`.slice(0, 500); }
            }
            if (reason) {
              rejected.push({ ev, reason });
              rejectedIds.add(ev.event_id);
              results.push({ event_id: ev.event_id, status: 'rejected', server_seq: null, reason });
            } else {
              counter = seq;
              const payload = (checked as { payload: string }).payload;
              accepted.push({ ev, seq, eff, payload });
              chunk.push({ ev, seq, eff, payload });
              acceptedIds.set(ev.event_id, ev);
              results.push({ event_id: ev.event_id, status: 'accepted', server_seq: seq, effective_ts: eff, reason: null });
            }
          }
        } catch (e) {
          await Promise.all(inserts); // never leave the transaction with a query of it still queued
          throw e;
        }
        flush();
        await Promise.all(inserts);
        if (insertError) throw insertError;
        rep.applier.flushDirty();
        if (accepted.length) await sql`UPDATE server_seq_counter SET last = ${counter} WHERE id = 1`.execute(tx);
        for (const { ev, reason } of rejected) {
          await tx.insertInto('rejected_events').values({ event_id: ev.event_id, site_id: siteId, device_id: ev.device_id, device_seq: ev.device_seq, reason, event: storable(JSON.stringify(ev)) }).execute();
        }
        // a push holding nothing new (a resent or replayed batch, maybe days old) leaves the device row alone:
        // its client_now would measure a wrong clock offset
        if (accepted.length > 0 || rejected.length > 0 || last !== Number(dev.last_seq)) {
          await sql`UPDATE devices SET last_seq = ${last}, clock_offset_ms = ${Number.isFinite(offsetMs) ? offsetMs : null}, app_version = ${body.app_version},
            last_push_at = ${nowIso} WHERE device_id = ${body.device_id}`.execute(tx);
        }
        await opts.beforeCommit?.({ siteId, deviceId: body.device_id, accepted: accepted.length });
        return { results, accepted: accepted.length, now: nowIso };
      });
      rep!.db.exec('COMMIT');
      return res;
    } catch (e) {
      if (began && rep) {
        rep.applier.dropDirty();
        try { rep.db.exec('ROLLBACK'); } catch { /* not in a transaction */ }
        // the replica's lastSeq may have moved inside the rolled-back transaction: rebuild it from PostgreSQL
        replicas.delete(siteId);
        rep.close();
      }
      throw e;
    }
  }


  /** Inserts accepted events: one statement, one parameter (the rows as a JSON array, unpacked by PostgreSQL; no per-value binding). */
  async function insertEvents(tx: Transaction<any>, siteId: string, nowIso: string, rows: { ev: WireEvent; seq: number; eff: string; payload: string }[]): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
    // the payload spliced in as its canonical text (the one hashed), not stringified once more
    const rowsJson = `[${rows.map(({ ev, seq, eff, payload }) =>
      wireEventJson(ev, JSON.stringify(ev.base_event_ids), payload, `"server_seq":${seq},"effective_ts":${JSON.stringify(eff)},`)).join(',')}]`;
    const r = await sql`INSERT INTO events (event_id, site_id, device_id, device_seq, server_seq, received_at, effective_ts, hlc, occurred_at, type, v,
        entity_type, entity_id, base_event_ids, actor, payload, payload_sha256)
      SELECT x.event_id, ${siteId}, x.device_id, x.device_seq, x.server_seq, ${nowIso}::timestamptz, x.effective_ts, x.hlc, x.occurred_at, x.type, x.v,
        x.entity_type, x.entity_id, x.base_event_ids, x.actor, x.payload, x.payload_sha256
      FROM json_to_recordset(${rowsJson}::json) AS x(event_id uuid, device_id uuid, device_seq bigint, server_seq bigint, effective_ts timestamptz,
        hlc text, occurred_at text, type text, v integer, entity_type text, entity_id text, base_event_ids jsonb, actor text, payload jsonb, payload_sha256 text)
      ON CONFLICT (event_id) DO NOTHING`.execute(tx);
    if (Number(r.numAffectedRows ?? rows.length) !== rows.length) throw new Error('an event was inserted concurrently');
  }

  /** The reason to reject the event, or its payload's canonical text (hashed to payload_sha256). */
  function validate(ev: WireEvent, siteId: string, acceptedIds: Map<string, WireEvent>, rejectedIds: Set<string>,
    baseKnown: Map<string, { site_id: string; entity_type: string; entity_id: string }>, baseRejected: Set<string>): string | { payload: string } {
    let payload: string;
    try { payload = canonicalPayload(ev.payload); } catch (e) { return `invalid payload: ${(e as Error).message}`; }
    if (sha256Hex(payload) !== ev.payload_sha256) return 'payload_sha256 does not match the payload';
    // refused as this event's fault, not the whole push's (PostgreSQL would fail the push, and the device would send it forever)
    if (hasUnstorable(payload)) return 'invalid payload: it holds a NUL character or an unpaired UTF-16 surrogate, which the server cannot store';
    for (const [field, v] of [['entity_id', ev.entity_id], ['actor', ev.actor], ['hlc', ev.hlc]] as const) {
      if (unstorableText(v)) return `invalid ${field}: it holds a NUL character or an unpaired UTF-16 surrogate, which the server cannot store`;
    }
    for (const b of ev.base_event_ids) {
      if (rejectedIds.has(b) || baseRejected.has(b)) return `built on rejected event ${b}`;
      const inBatch = acceptedIds.get(b);
      const known = inBatch ? { site_id: siteId, entity_type: inBatch.entity_type, entity_id: inBatch.entity_id } : baseKnown.get(b);
      if (!known) return `built on unknown event ${b}`;
      if (known.site_id !== siteId || known.entity_type !== ev.entity_type || known.entity_id !== ev.entity_id) return `base event ${b} belongs to another entity`;
    }
    if (!isKnownVersion(ev.type, ev.v)) {
      // a newer (type, v) than this server knows: stored as deferred (not projected), shipped to devices as is
      if (!/^[a-z_]+$/.test(ev.entity_type)) return `unknown event type ${ev.type}`;
      return { payload };
    }
    return { payload };
  }

  function effectiveTs(ev: WireEvent, offsetMs: number, now: Date): string {
    let ms: number;
    try { ms = parseHlc(ev.hlc).physical; } catch { ms = Date.parse(ev.occurred_at); }
    if (!Number.isFinite(ms) || !Number.isFinite(offsetMs)) return now.toISOString();
    const t = ms + offsetMs;
    // never in the future of the server, never before 1970
    return new Date(Math.max(0, Math.min(t, now.getTime()))).toISOString();
  }

  // ---------- recompute ----------
  /**
   * Debounced: a burst of pushes (a laptop's backlog, many devices at once) leads to one recompute
   * after it, not one per push; under a steady stream, one at least every maxWaitMs.
   */
  function scheduleRecompute(siteId: string): void {
    const { quietMs, maxWaitMs } = opts.recomputeDelay ?? { quietMs: 250, maxWaitMs: 10_000 };
    const now = Date.now();
    const w = recomputeTimers.get(siteId);
    const first = w?.first ?? now;
    if (w) clearTimeout(w.timer);
    const timer = setTimeout(() => {
      // a push of this site still running: it will schedule again when it ends (unless we waited long enough)
      if ((pushesInFlight.get(siteId) ?? 0) > 0 && Date.now() < first + maxWaitMs) { scheduleRecompute(siteId); return; }
      recomputeTimers.delete(siteId);
      startRecompute(siteId);
    }, Math.max(0, Math.min(now + quietMs, first + maxWaitMs) - now));
    (timer as { unref?: () => void }).unref?.();
    recomputeTimers.set(siteId, { timer, first });
  }

  function startRecompute(siteId: string): void {
    if (recomputeWanted.has(siteId)) return; // one queued run covers every push committed before it starts
    recomputeWanted.add(siteId);
    const p = siteLock.run(siteId, () => { recomputeWanted.delete(siteId); return recompute(siteId); })
      .catch((e) => { app.log.error(e); }).finally(() => pendingRecompute.delete(p));
    pendingRecompute.add(p);
  }

  async function recompute(siteId: string): Promise<void> {
    const rep = await loadReplica(siteId);
    // one recomputer per replica: it keeps the previous states in memory for incremental runs
    let rc = recomputers.get(rep);
    if (!rc) { rc = rep.recomputer(clock); recomputers.set(rep, rc); }
    const outcomes = rc.runAll();
    const lastSeq = rep.lastSeq;
    const computedAt = clock().toISOString();
    let mine = written.get(rep);
    if (!mine) { mine = new Map(); written.set(rep, mine); }
    const readAssign = rep.db.prepare(`SELECT ${ASSIGNMENT_STATE_COLS.map(([c]) => c).join(', ')} FROM assignment_states WHERE batch_id = ? ORDER BY assignment_id, date`);
    for (const o of outcomes) {
      const batchRows = sqliteBatchStates(rep.db, o.batch_id);
      const assignRows = readAssign.all(o.batch_id) as Record<string, unknown>[];
      const digest = statesDigest(batchRows);
      const warnings = (rep.db.prepare('SELECT warnings FROM batch_outputs WHERE batch_id = ?').get(o.batch_id) as { warnings: string } | undefined)?.warnings ?? '[]';
      // Only the rows that differ from what this server last wrote for the batch go to PostgreSQL,
      // stamped with last_server_seq = this recompute's seq ("the server seq at which the row last
      // changed"); rows that are gone are deleted. Without that memory (the first recompute of a
      // batch since this process started) the batch's rows are all written again.
      const prev = mine.get(o.batch_id);
      const now: WrittenRows = { a: new Map(), b: new Map() };
      const aChanged: Record<string, unknown>[] = [], bChanged: Record<string, unknown>[] = [];
      for (const r of assignRows) {
        const aid = r.assignment_id as string, date = r.date as string;
        let days = now.a.get(aid);
        if (!days) { days = new Map(); now.a.set(aid, days); }
        days.set(date, r);
        if (!sameRow(prev?.a.get(aid)?.get(date), r)) aChanged.push(r);
      }
      for (const r of batchRows) {
        now.b.set(r.date, r as unknown as Record<string, unknown>);
        if (!sameRow(prev?.b.get(r.date), r as unknown as Record<string, unknown>)) bChanged.push(r as unknown as Record<string, unknown>);
      }
      const aGone: { assignment_id: string; date: string }[] = [];
      for (const [aid, days] of prev?.a ?? []) for (const date of days.keys()) if (!now.a.get(aid)?.has(date)) aGone.push({ assignment_id: aid, date });
      const bGone = prev ? [...prev.b.keys()].filter((k) => !now.b.has(k)) : [];
      mine.delete(o.batch_id); // until the transaction commits
      await db.transaction().execute(async (tx) => {
        if (!prev) {
          await sql`DELETE FROM assignment_states WHERE site_id = ${siteId} AND batch_id = ${o.batch_id}`.execute(tx);
          await sql`DELETE FROM batch_states WHERE site_id = ${siteId} AND batch_id = ${o.batch_id}`.execute(tx);
        }
        if (aGone.length) {
          await sql`DELETE FROM assignment_states s USING json_to_recordset(${JSON.stringify(aGone)}::json) AS x(assignment_id text, date date)
            WHERE s.site_id = ${siteId} AND s.batch_id = ${o.batch_id} AND s.assignment_id = x.assignment_id AND s.date = x.date`.execute(tx);
        }
        if (bGone.length) {
          await sql`DELETE FROM batch_states WHERE site_id = ${siteId} AND batch_id = ${o.batch_id} AND date = ANY(${bGone}::date[])`.execute(tx);
        }
        // one statement per table, the rows as one JSON parameter (as the event insert does); an
        // upsert, so a row a moved assignment left under its old batch is taken over, not a conflict
        if (aChanged.length) {
          await sql`INSERT INTO assignment_states (${sql.raw(ASSIGNMENT_STATE_COLS.map(([c]) => c).join(', '))}, site_id, engine_version, last_server_seq)
            SELECT ${sql.raw(ASSIGNMENT_STATE_COLS.map(([c]) => `x.${c}`).join(', '))}, ${siteId}, ${ENGINE_VERSION}, ${lastSeq}
            FROM json_to_recordset(${JSON.stringify(aChanged)}::json) AS x(${sql.raw(ASSIGNMENT_STATE_COLS.map(([c, t]) => `${c} ${t}`).join(', '))})
            ON CONFLICT (site_id, assignment_id, date) DO UPDATE SET ${sql.raw(UPSERT_ASSIGNMENT_SET)}`.execute(tx);
        }
        if (bChanged.length) {
          await sql`INSERT INTO batch_states (${sql.raw(BATCH_STATE_COLS.map(([c]) => c).join(', '))}, batch_id, site_id, engine_version, last_server_seq)
            SELECT ${sql.raw(BATCH_STATE_COLS.map(([c]) => `x.${c}`).join(', '))}, ${o.batch_id}, ${siteId}, ${ENGINE_VERSION}, ${lastSeq}
            FROM json_to_recordset(${JSON.stringify(bChanged)}::json) AS x(${sql.raw(BATCH_STATE_COLS.map(([c, t]) => `${c} ${t}`).join(', '))})
            ON CONFLICT (site_id, batch_id, date) DO UPDATE SET ${sql.raw(UPSERT_BATCH_SET)}`.execute(tx);
        }
        await sql`INSERT INTO batch_outputs (site_id, batch_id, engine_version, as_of, last_server_seq, computed_at, states_sha256, ok, errors, warnings)
          VALUES (${siteId}, ${o.batch_id}, ${ENGINE_VERSION}, ${o.as_of}, ${lastSeq}, ${computedAt}, ${digest}, ${o.ok}, ${JSON.stringify(o.errors)}, ${warnings})
          ON CONFLICT (site_id, batch_id) DO UPDATE SET engine_version = excluded.engine_version, as_of = excluded.as_of, last_server_seq = excluded.last_server_seq,
          computed_at = excluded.computed_at, states_sha256 = excluded.states_sha256, ok = excluded.ok, errors = excluded.errors, warnings = excluded.warnings`.execute(tx);
        // device snapshots with the same stamps must match
        await sql`INSERT INTO state_mismatches (site_id, device_id, batch_id, engine_version, as_of, last_server_seq, device_sha256, server_sha256)
          SELECT site_id, device_id, batch_id, engine_version, as_of, last_server_seq, states_sha256, ${digest} FROM device_snapshots
          WHERE site_id = ${siteId} AND batch_id = ${o.batch_id} AND engine_version = ${ENGINE_VERSION} AND as_of = ${o.as_of}
            AND last_server_seq = ${lastSeq} AND states_sha256 <> ${digest}`.execute(tx);
      });
      mine.set(o.batch_id, now);
    }
    // batches voided since: drop their states
    const live = new Set((rep.db.prepare('SELECT id FROM batches WHERE voided = 0').all() as { id: string }[]).map((r) => r.id));
    const stored = (await sql<{ batch_id: string }>`SELECT batch_id FROM batch_outputs WHERE site_id = ${siteId}`.execute(db)).rows;
    for (const s of stored) {
      if (live.has(s.batch_id)) continue;
      await sql`DELETE FROM batch_states WHERE site_id = ${siteId} AND batch_id = ${s.batch_id}`.execute(db);
      await sql`DELETE FROM assignment_states WHERE site_id = ${siteId} AND batch_id = ${s.batch_id}`.execute(db);
      await sql`DELETE FROM batch_outputs WHERE site_id = ${siteId} AND batch_id = ${s.batch_id}`.execute(db);
      mine.delete(s.batch_id);
    }
  }

  // ---------- pull ----------
  app.get('/v1/sync/pull', async (req, reply) => {
    const auth = await authenticate(req);
    need(auth, 'device');
    const q = parse(PullQuerySchema.extend({ device_id: z.string().uuid().optional() }), req.query);
    const siteId = auth.siteId!;
    const rows = (await sql<Record<string, unknown>>`SELECT * FROM events WHERE site_id = ${siteId} AND server_seq > ${q.after}
      ORDER BY server_seq LIMIT ${q.limit + 1}`.execute(db)).rows;
    const hasMore = rows.length > q.limit;
    const page = rows.slice(0, q.limit).map(toPulled);
    const next = page.length ? page[page.length - 1]!.server_seq : q.after;
    const now = clock().toISOString();
    if (q.device_id) {
      await sql`UPDATE devices SET last_pull_at = ${now}, last_pull_cursor = ${next} WHERE device_id = ${q.device_id} AND site_id = ${siteId}`.execute(db);
    }
    return reply.send({ events: page, next_cursor: next, has_more: hasMore, server_now: now });
  });

  // ---------- device state snapshots ----------
  app.post('/v1/sync/states', async (req, reply) => {
    const auth = await authenticate(req);
    need(auth, 'device');
    const body = parse(StatesSnapshotSchema, req.body);
    const siteId = auth.siteId!;
    const dev = (await sql<{ site_id: string }>`SELECT site_id FROM devices WHERE device_id = ${body.device_id}`.execute(db)).rows[0];
    if (dev && dev.site_id !== siteId) throw new HttpError(403, { error: 'forbidden', message: 'this device belongs to another site' });
    const now = clock().toISOString();
    const results: { batch_id: string; status: 'stored' | 'match' | 'mismatch' | 'pending' }[] = [];
    for (const s of body.snapshots) {
      if (statesDigest(s.batch_states) !== s.states_sha256) throw new HttpError(400, { error: 'invalid', field: 'states_sha256', message: `states_sha256 of ${s.batch_id} does not match its states` });
      await sql`INSERT INTO device_snapshots (site_id, device_id, batch_id, engine_version, as_of, last_server_seq, states_sha256, batch_states, received_at)
        VALUES (${siteId}, ${body.device_id}, ${s.batch_id}, ${s.engine_version}, ${s.as_of}, ${s.last_server_seq}, ${s.states_sha256}, ${JSON.stringify(s.batch_states)}, ${now})
        ON CONFLICT (device_id, batch_id) DO UPDATE SET engine_version = excluded.engine_version, as_of = excluded.as_of, last_server_seq = excluded.last_server_seq,
        states_sha256 = excluded.states_sha256, batch_states = excluded.batch_states, received_at = excluded.received_at`.execute(db);
      const srv = (await sql<{ engine_version: string; as_of: string; last_server_seq: number; states_sha256: string }>`
        SELECT engine_version, as_of, last_server_seq, states_sha256 FROM batch_outputs WHERE site_id = ${siteId} AND batch_id = ${s.batch_id}`.execute(db)).rows[0];
      if (!srv || srv.engine_version !== s.engine_version || srv.as_of !== s.as_of || Number(srv.last_server_seq) !== s.last_server_seq) { results.push({ batch_id: s.batch_id, status: 'pending' }); continue; }
      if (srv.states_sha256 === s.states_sha256) { results.push({ batch_id: s.batch_id, status: 'match' }); continue; }
      await sql`INSERT INTO state_mismatches (site_id, device_id, batch_id, engine_version, as_of, last_server_seq, device_sha256, server_sha256)
        VALUES (${siteId}, ${body.device_id}, ${s.batch_id}, ${s.engine_version}, ${s.as_of}, ${s.last_server_seq}, ${s.states_sha256}, ${srv.states_sha256})`.execute(db);
      results.push({ batch_id: s.batch_id, status: 'mismatch' });
    }
    return reply.send({ results, server_now: now });
  });

  // ---------- administration ----------
  app.post('/v1/admin/sites', async (req, reply) => {
    need(await authenticate(req), 'admin');
    const b = parse(CreateSiteSchema, req.body);
    const r = await sql`INSERT INTO sites (id, name) VALUES (${b.id}, ${b.name}) ON CONFLICT (id) DO NOTHING`.execute(db);
    if (Number(r.numAffectedRows ?? 0) === 0) throw new HttpError(409, { error: 'exists', message: `site ${b.id} exists` });
    return reply.code(201).send({ id: b.id, name: b.name });
  });

  app.post('/v1/admin/devices', async (req, reply) => {
    need(await authenticate(req), 'admin');
    const b = parse(RegisterDeviceSchema, req.body);
    const site = (await sql`SELECT id FROM sites WHERE id = ${b.site_id}`.execute(db)).rows[0];
    if (!site) throw new HttpError(404, { error: 'not_found', message: `no site ${b.site_id}` });
    const token = newToken('amdev');
    const t = (await sql<{ id: number }>`INSERT INTO tokens (token_hash, kind, site_id, label) VALUES (${hashToken(token)}, 'device', ${b.site_id}, ${b.label ?? null}) RETURNING id`.execute(db)).rows[0]!;
    if (b.device_id) {
      const r = await sql`INSERT INTO devices (device_id, site_id, token_id, label) VALUES (${b.device_id}, ${b.site_id}, ${t.id}, ${b.label ?? null}) ON CONFLICT (device_id) DO NOTHING`.execute(db);
      if (Number(r.numAffectedRows ?? 0) === 0) throw new HttpError(409, { error: 'exists', message: `device ${b.device_id} is registered` });
    }
    return reply.code(201).send({ token, token_id: t.id, site_id: b.site_id, device_id: b.device_id ?? null });
  });

  app.post('/v1/admin/tokens/revoke', async (req, reply) => {
    need(await authenticate(req), 'admin');
    const b = parse(z.strictObject({ token_id: z.number().int().positive() }), req.body);
    const r = await sql`UPDATE tokens SET revoked = true WHERE id = ${b.token_id} AND kind <> 'admin'`.execute(db);
    if (Number(r.numAffectedRows ?? 0) === 0) throw new HttpError(404, { error: 'not_found', message: 'no such token' });
    return reply.send({ revoked: b.token_id });
  });

  app.post('/v1/admin/devices/revoke', async (req, reply) => {
    need(await authenticate(req), 'admin');
    const b = parse(RevokeSchema, req.body);
    const r = await sql`UPDATE tokens SET revoked = true WHERE id = (SELECT token_id FROM devices WHERE device_id = ${b.device_id})`.execute(db);
    if (Number(r.numAffectedRows ?? 0) === 0) throw new HttpError(404, { error: 'not_found', message: 'no such device' });
    return reply.send({ revoked: b.device_id });
  });

  app.post('/v1/admin/hq-tokens', async (req, reply) => {
    need(await authenticate(req), 'admin');
    const b = parse(CreateHqTokenSchema, req.body);
    const token = newToken('amhq');
    const t = (await sql<{ id: number }>`INSERT INTO tokens (token_hash, kind, label) VALUES (${hashToken(token)}, 'hq', ${b.label}) RETURNING id`.execute(db)).rows[0]!;
    return reply.code(201).send({ token, token_id: t.id });
  });

  // ---------- HQ reads ----------
  const hq = async (req: FastifyRequest) => need(await authenticate(req), 'hq', 'admin');
  const siteParam = z.object({ site: z.string().min(1).max(200) });
  const batchParam = siteParam.extend({ batch: z.string().min(1).max(200) });
  const range = z.strictObject({ from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(), to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() });

  app.get('/v1/hq/sites', async (req, reply: FastifyReply) => {
    await hq(req);
    const rows = (await sql`SELECT s.id, s.name, (SELECT max(server_seq) FROM events e WHERE e.site_id = s.id) AS last_server_seq,
      (SELECT count(*)::int FROM devices d WHERE d.site_id = s.id) AS devices FROM sites s ORDER BY s.id`.execute(db)).rows;
    return reply.send({ sites: rows });
  });

  app.get('/v1/hq/sites/:site/batches', async (req, reply) => {
    await hq(req);
    const p = parse(siteParam, req.params);
    const rep = await siteLock.run(p.site, () => loadReplica(p.site));
    const batches = rep.db.prepare('SELECT id, name, species, start_date, scenario_id FROM batches WHERE voided = 0 ORDER BY id').all() as Record<string, unknown>[];
    const outs = new Map((await sql<Record<string, unknown>>`SELECT batch_id, engine_version, as_of, last_server_seq, computed_at, states_sha256, ok
      FROM batch_outputs WHERE site_id = ${p.site}`.execute(db)).rows.map((r) => [r.batch_id as string, { ...r, computed_at: iso(r.computed_at) }]));
    return reply.send({ batches: batches.map((b) => ({ ...b, states: outs.get(b.id as string) ?? null })) });
  });

  app.get('/v1/hq/sites/:site/states/latest', async (req, reply) => {
    await hq(req);
    const p = parse(siteParam, req.params);
    const rows = (await sql`SELECT DISTINCT ON (batch_id) * FROM batch_states WHERE site_id = ${p.site} ORDER BY batch_id, date DESC`.execute(db)).rows;
    return reply.send({ states: rows });
  });

  app.get('/v1/hq/sites/:site/batches/:batch/daily', async (req, reply) => {
    await hq(req);
    const p = parse(batchParam, req.params);
    const r = parse(range, req.query);
    const rows = (await sql`SELECT * FROM batch_states WHERE site_id = ${p.site} AND batch_id = ${p.batch}
      AND date >= ${r.from ?? '0001-01-01'}::date AND date <= ${r.to ?? '9999-12-31'}::date ORDER BY date`.execute(db)).rows;
    return reply.send({ daily: rows });
  });

  app.get('/v1/hq/sites/:site/batches/:batch/weekly', async (req, reply) => {
    await hq(req);
    const p = parse(batchParam, req.params);
    const rows = (await sql`SELECT * FROM batch_states_weekly WHERE site_id = ${p.site} AND batch_id = ${p.batch} ORDER BY week`.execute(db)).rows;
    return reply.send({ weekly: rows });
  });

  app.get('/v1/hq/sites/:site/devices', async (req, reply) => {
    await hq(req);
    const p = parse(siteParam, req.params);
    const last = (await sql<{ m: number | null }>`SELECT max(server_seq) AS m FROM events WHERE site_id = ${p.site}`.execute(db)).rows[0]?.m ?? 0;
    const rows = (await sql<Record<string, unknown>>`SELECT d.device_id, d.label, d.last_seq, d.clock_offset_ms, d.app_version, d.last_push_at, d.last_pull_at,
      d.last_pull_cursor, t.revoked, (SELECT count(*)::int FROM rejected_events r WHERE r.device_id = d.device_id) AS rejected
      FROM devices d LEFT JOIN tokens t ON t.id = d.token_id WHERE d.site_id = ${p.site} ORDER BY d.device_id`.execute(db)).rows;
    return reply.send({
      last_server_seq: Number(last ?? 0),
      devices: rows.map((r) => ({
        ...r, last_push_at: r.last_push_at ? iso(r.last_push_at) : null, last_pull_at: r.last_pull_at ? iso(r.last_pull_at) : null,
        behind: r.last_pull_cursor == null ? null : Number(last ?? 0) - Number(r.last_pull_cursor),
        clock_warning: r.clock_offset_ms != null && Math.abs(Number(r.clock_offset_ms)) > 5 * 60_000,
      })),
    });
  });

  app.get('/v1/health', async () => ({ ok: true, protocol: PROTOCOL_VERSION, engine_version: ENGINE_VERSION }));

  const idle = async () => {
    for (;;) {
      for (const [siteId, w] of recomputeTimers) { clearTimeout(w.timer); recomputeTimers.delete(siteId); startRecompute(siteId); }
      if (!pendingRecompute.size) return;
      await Promise.allSettled([...pendingRecompute]);
    }
  };
  return {
    app,
    idle,
    replica: (siteId) => siteLock.run(siteId, () => loadReplica(siteId)),
    async close() {
      await idle();
      await app.close();
      for (const r of replicas.values()) r.close();
      replicas.clear();
    },
  };
}
