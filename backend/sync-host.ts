/**
 * The backend's one sync client (spec/sync.md; issue 5). The server URL and this laptop's token
 * live in `sync_state` (the token is never returned); when both are stored the client runs on its
 * timer from createBackend until close(). The host tells the client about every local write,
 * kicks the recompute after pulled pages, pushes the device's state snapshots once the states are
 * fresh, and emits `sync.status` whenever what the UI shows changed.
 *
 * Layering: the sync client lives in sync/client (it runs inside the backend process); it is
 * loaded here with a dynamic import, and this file is the only place in backend/ that knows it.
 */
import type {
  ApiEventName, ApiEvents, ConflictDto, ConflictHeadDto, ConflictResolution, RejectedEventDto, SyncNowResult, SyncStatusDto,
} from './api/contract';
import { zodError } from './api/schemas';
import { parseHlc } from './events/hlc';
import { CORE, ENTITY_BY_NAME, MEASUREMENT_BY_ENTITY, fromColumn, toColumn } from './kinds';
import { ApiFailure, fail, type Ctx } from './handlers/context';
import { toInput } from './handlers/measurements';
import type { MeasurementMethod } from './api/contract';
import type { ConflictInfo, FetchFn, SyncClient, SyncStatus } from '../sync/client/client';

export interface SyncHostOptions {
  /** The HTTP client (tests inject one); the global fetch by default. */
  fetch?: FetchFn;
  /** Between successful cycles (default 30 s). */
  intervalMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  random?: () => number;
  appVersion?: string;
}

export interface SyncHost {
  status(): SyncStatusDto;
  configure(serverUrl: string | null, token?: string): Promise<SyncStatusDto>;
  now(): Promise<SyncNowResult>;
  resolve(entityType: string, entityId: string, resolution: ConflictResolution, reason: string): SyncStatusDto;
  /** A local write committed: push soon, and refresh the status. */
  changed(): void;
  close(): Promise<void>;
}

interface HostDeps {
  ctx: Ctx;
  /** Start a recompute of whatever is dirty (after pulled pages and resolutions). */
  kick(): void;
  on<E extends ApiEventName>(e: E, fn: (p: ApiEvents[E]) => void): () => void;
  options?: SyncHostOptions;
}

const KEY_URL = 'server_url';
const KEY_TOKEN = 'token';

const LABELS: Record<string, string> = {
  placement: 'Placement', transfer: 'Transfer', removal: 'Removal', growth_sample: 'Growth sample', weighing: 'Treatment weighing',
  manual_anchor: 'Manual weight', mortality: 'Mortality', feed: 'Feed', temperature_reading: 'Temperature reading',
  temperature_daily: 'Daily temperature', stage_change: 'Stage change', site: 'Site', container: 'Container', scenario: 'Scenario',
  batch: 'Batch', assignment: 'Assignment', stage_table: 'Stage table', temperature_log: 'Temperature log',
};

export async function createSyncHost(deps: HostDeps): Promise<SyncHost> {
  const { ctx } = deps;
  const db = ctx.db;
  const { createSyncClient } = await import('../sync/client/client');
  const getState = (k: string) => (db.prepare('SELECT value FROM sync_state WHERE key = ?').get(k) as { value: string } | undefined)?.value ?? null;
  const setState = (k: string, v: string) => db.prepare('INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(k, v);
  const delState = (k: string) => db.prepare('DELETE FROM sync_state WHERE key = ?').run(k);

  let closed = false;
  let statusTimer: ReturnType<typeof setTimeout> | null = null;
  let kickTimer: ReturnType<typeof setTimeout> | null = null;
  let snapshotTimer: ReturnType<typeof setTimeout> | null = null;
  let snapshots: Promise<void> | null = null;
  let lastEmitted = '';

  const configured = () => getState(KEY_URL) !== null && getState(KEY_TOKEN) !== null;

  function makeClient(): SyncClient {
    const o = deps.options ?? {};
    return createSyncClient({
      db, baseUrl: getState(KEY_URL) ?? 'http://unconfigured.invalid', token: getState(KEY_TOKEN) ?? '', clock: ctx.clock, actor: ctx.actor,
      appVersion: o.appVersion ?? '0.1.0',
      ...(o.fetch ? { fetch: o.fetch } : {}), ...(o.random ? { random: o.random } : {}), ...(o.backoff ? { backoff: o.backoff } : {}),
      ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
      onStatus: () => scheduleStatus(),
      onApplied: (entities) => applied(entities),
      onSynced: () => scheduleSnapshots(0),
    });
  }

  /** Even without a server the client reads the queue, rejected events and conflicts (which stay resolvable offline). */
  let client = makeClient();
  if (configured()) client.start();

  // ---------- after pulled pages: recompute, tell the UI ----------
  function applied(entities: { entity_type: string; entity_id: string }[]): void {
    if (closed) return;
    const byType = new Map<string, string[]>();
    for (const e of entities) byType.set(e.entity_type, [...(byType.get(e.entity_type) ?? []), e.entity_id]);
    const dirty = (db.prepare('SELECT batch_id FROM dirty_batches').all() as { batch_id: string }[]).map((r) => r.batch_id);
    for (const [type, ids] of byType) {
      ctx.emit('data.changed', { entity_type: type, entity_id: ids.length === 1 ? ids[0]! : '*', event_type: 'sync.applied', batch_ids: dirty });
    }
    if (!kickTimer) {
      kickTimer = setTimeout(() => { kickTimer = null; if (!closed) deps.kick(); }, 0);
    }
    scheduleStatus();
  }

  // ---------- device state snapshots (spec §5) ----------
  /** Pushes this laptop's states once they are fresh and nothing is waiting to be sent (the client checks). */
  function pushSnapshots(): Promise<void> {
    if (!snapshots) {
      snapshots = (async () => {
        if (closed || !configured()) return;
        await ctx.ensureFresh();
        if (closed) return;
        try { await client.pushStates(); } catch { /* retried after the next cycle; the cycle's status carries network errors */ }
      })().finally(() => { snapshots = null; });
    }
    return snapshots;
  }
  function scheduleSnapshots(ms: number): void {
    if (closed || !configured()) return;
    if (snapshotTimer) clearTimeout(snapshotTimer);
    snapshotTimer = setTimeout(() => { snapshotTimer = null; void pushSnapshots(); }, ms);
    (snapshotTimer as { unref?: () => void }).unref?.();
  }
  // a recompute in the worker finishes after the cycle: push when its states are fresh
  const offFresh = deps.on('states.fresh', () => { if (client.running) scheduleSnapshots(2000); });

  // ---------- status ----------
  function scheduleStatus(): void {
    if (closed || statusTimer) return;
    statusTimer = setTimeout(() => {
      statusTimer = null;
      if (closed) return;
      let s: SyncStatusDto;
      try { s = status(); } catch { return; }
      const text = JSON.stringify(s);
      if (text !== lastEmitted) { lastEmitted = text; ctx.emit('sync.status', s); }
    }, 20);
  }

  function status(): SyncStatusDto {
    const cs = client.status();
    const ownIds = new Set([cs.device_id, ...(JSON.parse(getState('previous_device_ids') ?? '[]') as string[])]);
    const isConfigured = configured();
    return {
      configured: isConfigured, server_url: getState(KEY_URL), token_set: getState(KEY_TOKEN) !== null, device_id: cs.device_id,
      pending: cs.pending, last_sync_at: cs.last_sync_at, last_push_at: cs.last_push_at, last_pull_at: cs.last_pull_at,
      last_error: cs.last_error, online: isConfigured ? cs.online : null, in_flight: cs.in_flight, next_attempt_at: cs.next_attempt_at,
      rejected: rejectedDtos(cs.rejected), conflicts: cs.conflicts.map((c) => conflictDto(c, ownIds)),
      deferred: cs.deferred, clock_warning: cs.clock_warning,
    };
  }

  function rejectedDtos(list: SyncStatus['rejected']): RejectedEventDto[] {
    const get = db.prepare('SELECT entity_type, actor, occurred_at, payload FROM events WHERE event_id = ?');
    return list.map((r) => {
      const e = get.get(r.event_id) as { entity_type: string; actor: string; occurred_at: string; payload: string } | undefined;
      const payload = e ? JSON.parse(e.payload) as Record<string, unknown> : {};
      const entityType = e?.entity_type ?? r.type.slice(0, r.type.lastIndexOf('.'));
      return {
        event_id: r.event_id, type: r.type, entity_type: entityType, entity_id: r.entity_id, label: describe(entityType, r.entity_id, payload),
        actor: e?.actor ?? '', occurred_at: e?.occurred_at ?? '', reason: r.reason, rejected_at: r.rejected_at,
      };
    });
  }

  function conflictDto(c: ConflictInfo, ownIds: Set<string>): ConflictDto {
    const kind = ENTITY_BY_NAME.get(c.entity_type);
    const row = kind ? db.prepare(`SELECT * FROM ${kind.table} WHERE id = ?`).get(c.entity_id) as Record<string, unknown> | undefined : undefined;
    const real = c.fields.filter((f) => !f.startsWith('('));
    const current: Record<string, unknown> = {};
    for (const f of real) current[f] = row && kind && f in kind.cols ? fromColumn(kind.cols[f]!, row[f]) : null;
    const hlc = db.prepare('SELECT hlc FROM events WHERE event_id = ?');
    const heads: ConflictHeadDto[] = c.heads.map((h) => {
      let madeAt = h.effective_ts;
      if (!madeAt) {
        const r = hlc.get(h.event_id) as { hlc: string } | undefined;
        try { madeAt = r ? new Date(parseHlc(r.hlc).physical).toISOString() : null; } catch { madeAt = null; }
      }
      const k = h.type.slice(h.type.lastIndexOf('.') + 1) as ConflictHeadDto['kind'];
      return {
        event_id: h.event_id, kind: k, actor: h.actor, device_id: h.device_id, this_device: ownIds.has(h.device_id), made_at: madeAt,
        values: h.patch ? Object.fromEntries(real.filter((f) => f in h.patch!).map((f) => [f, h.patch![f]])) : null,
        reason: h.reason, winner: h.event_id === c.winner,
      };
    });
    const m = MEASUREMENT_BY_ENTITY.get(c.entity_type);
    return {
      entity_type: c.entity_type, entity_id: c.entity_id, label: describe(c.entity_type, c.entity_id, row ?? {}), fields: c.fields,
      current, voided: row?.voided === 1, heads, method: m ? m.method : kind ? kind.entity : null,
    };
  }

  /** "Growth sample 1 Mar 2025 · Pen 1 · Batch 1" from the projected row (or the event's payload). */
  function describe(entityType: string, entityId: string, r: Record<string, unknown>): string {
    const parts = [LABELS[entityType] ?? entityType.replace(/_/g, ' ')];
    const name = (table: string, id: unknown) => typeof id === 'string'
      ? (db.prepare(`SELECT name FROM ${table} WHERE id = ?`).get(id) as { name: string } | undefined)?.name ?? null : null;
    const date = typeof r.date === 'string' ? r.date : typeof r.timestamp === 'string' ? r.timestamp.slice(0, 10) : null;
    let head = parts[0]!;
    if (date) head += ` ${fmtDate(date)}`;
    else if (typeof r.name === 'string') head += ` ${r.name}`;
    else head += ` ${entityId}`;
    const out = [head];
    const asg = typeof r.assignment_id === 'string' ? db.prepare('SELECT container_id FROM assignments WHERE id = ?').get(r.assignment_id) as { container_id: string } | undefined : undefined;
    const container = name('containers', asg?.container_id ?? r.container_id);
    if (container) out.push(container);
    const batch = name('batches', r.batch_id);
    if (batch) out.push(batch);
    return out.join(' · ');
  }

  // ---------- resolving ----------
  function checkPatch(entityType: string, entityId: string, patch: Record<string, unknown>): void {
    const kind = ENTITY_BY_NAME.get(entityType);
    if (!kind) fail('invalid', 'resolution.patch', `${entityType} records cannot be corrected here`);
    for (const k of Object.keys(patch)) {
      if (!(k in kind.cols) || k === 'batch_id' || k === 'site_id') fail('invalid', `resolution.patch.${k}`, `unknown field ${JSON.stringify(k)} of ${entityType}`);
    }
    const row = db.prepare(`SELECT * FROM ${kind.table} WHERE id = ?`).get(entityId) as Record<string, unknown> | undefined;
    if (!row) fail('not_found', 'entity_id', `unknown ${entityType} ${JSON.stringify(entityId)}`);
    const m = MEASUREMENT_BY_ENTITY.get(entityType);
    if (m) {
      const merged = { ...row };
      for (const [k, v] of Object.entries(patch)) merged[k] = toColumn(m.cols[k]!, v);
      const method = m.method as MeasurementMethod;
      const parsed = ctx.schemas.inputs[method].safeParse(toInput(m, merged));
      if (!parsed.success) {
        const e = zodError(parsed.error);
        throw new ApiFailure({ ...e, field: `resolution.patch.${e.field ?? ''}`, message: e.message });
      }
      const rule = ctx.schemas.recordRules[method]?.(parsed.data as Record<string, unknown>);
      if (rule) fail(rule.code, `resolution.patch.${rule.field ?? ''}`, rule.message);
    } else if (entityType in CORE) {
      for (const [k, v] of Object.entries(patch)) {
        if (k === 'name' && (typeof v !== 'string' || !v.trim() || v.length > 200)) fail('invalid', 'resolution.patch.name', 'must be a name of 1 to 200 characters');
      }
    }
  }

  function resolve(entityType: string, entityId: string, resolution: ConflictResolution, reason: string): SyncStatusDto {
    const open = db.prepare('SELECT 1 FROM sync_conflicts WHERE entity_type = ? AND entity_id = ?').get(entityType, entityId);
    if (!open) fail('not_found', 'entity_id', `${entityType} ${entityId} is not in conflict (already resolved?)`);
    let r: Parameters<SyncClient['resolveConflict']>[2];
    if ('patch' in resolution) { checkPatch(entityType, entityId, resolution.patch); r = { patch: resolution.patch, reason }; }
    else if ('void' in resolution) r = { void: reason };
    else r = { restore: reason };
    client.resolveConflict(entityType, entityId, r);
    deps.kick();
    return status();
  }

  // The status once at start (the app's header asks for it anyway): its first count of the queue
  // reads the whole queue (~60 ms for half a million events), later ones only what was added.
  scheduleStatus();

  return {
    status,
    async configure(serverUrl, token) {
      if (serverUrl === null) {
        await client.close();
        delState(KEY_URL); delState(KEY_TOKEN); delState('last_error');
      } else {
        const url = serverUrl.replace(/\/+$/, '');
        if (token === undefined && getState(KEY_TOKEN) === null) fail('invalid', 'token', 'a token is needed: the one issued for this laptop');
        await client.close();
        db.transaction(() => {
          const old = getState(KEY_URL);
          setState(KEY_URL, url);
          if (token !== undefined) setState(KEY_TOKEN, token);
          if (old !== url) delState('last_error');
        })();
      }
      client = makeClient();
      if (configured()) client.start();
      scheduleStatus();
      return status();
    },
    async now() {
      if (!configured()) fail('domain', undefined, 'sync is not set up: enter the server address and this laptop\'s token first');
      let r: Awaited<ReturnType<SyncClient['syncNow']>>;
      try { r = await client.syncNow(); } catch (e) {
        throw new ApiFailure({ code: 'unavailable', message: `sync failed: ${(e as Error).message}` });
      }
      await pushSnapshots();
      return { ...r, status: status() };
    },
    resolve,
    changed() {
      if (closed) return;
      client.changed();
      scheduleStatus();
    },
    async close() {
      closed = true;
      offFresh();
      for (const t of [statusTimer, kickTimer, snapshotTimer]) if (t) clearTimeout(t);
      await client.close();
      await snapshots?.catch(() => undefined);
    },
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function fmtDate(d: string): string {
  return `${+d.slice(8, 10)} ${MONTHS[+d.slice(5, 7) - 1] ?? ''} ${d.slice(0, 4)}`;
}
