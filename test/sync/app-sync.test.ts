/**
 * Issue 5, the app side: two laptops, each the real backend (createBackend on its own SQLite file),
 * configured through the API against a sync server listening on 127.0.0.1 in this process. Records
 * travel, an offline same-field conflict shows on both and one resolution clears it everywhere, a
 * rejected event is listed with its reason, and both laptops end with identical projections and states.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncStatusDto } from '../../backend/api/contract';
import { createBackend, type Backend } from '../../backend/core';
import type { FetchFn } from '../../sync/client/client';
import type { SyncServer } from '../../sync/server/app';
import type { ServerDb } from '../../sync/server/db';
import { backends } from './backends';
import { NOW, batchStatesDump, createSiteAndToken, projectionDump, setupServer } from './helpers';

function must<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`call failed: ${JSON.stringify(r.error)}`);
  return r.value;
}

/** The global fetch, with a switch that takes this laptop off the network. */
function switchableFetch() {
  const s = { offline: false, requests: 0 };
  const f: FetchFn = async (url, init) => {
    s.requests++;
    if (s.offline) throw new TypeError('fetch failed: network down');
    return fetch(url, init) as unknown as ReturnType<FetchFn>;
  };
  return Object.assign(s, { fetch: f });
}

async function laptop(actor: string, init: 'empty' | 'none', net: ReturnType<typeof switchableFetch>): Promise<{ be: Backend; statuses: SyncStatusDto[] }> {
  const dbPath = join(mkdtempSync(join(tmpdir(), `aquamind-app-sync-${actor}-`)), 'site.db');
  // a long interval: the timer's first cycle runs at once, later ones are these tests' sync.now calls
  const be = await createBackend({ dbPath, clock: () => NOW, actor, init, recompute: 'sync', sync: { fetch: net.fetch, intervalMs: 3_600_000, backoff: { baseMs: 60_000, maxMs: 60_000 } } });
  const statuses: SyncStatusDto[] = [];
  be.on('sync.status', (s) => statuses.push(s));
  return { be, statuses };
}

function sample(be: Backend, id: string): { avg_weight_g: number; voided: number } {
  const r = be.ctx.db.prepare('SELECT avg_weight_g, voided FROM growth_samples WHERE id = ?').get(id) as { avg_weight_g: number; voided: number } | undefined;
  if (!r) throw new Error(`no growth sample ${id}`);
  return r;
}

for (const bk of backends()) {
  describe.skipIf(bk.skip !== null)(`the app's sync on ${bk.name}${bk.skip ? ` (skipped: ${bk.skip})` : ''}`, () => {
    let sdb: ServerDb;
    let srv: SyncServer;
    let url: string;
    let call: Awaited<ReturnType<typeof setupServer>>['call'];
    let admin: string;
    beforeAll(async () => {
      sdb = await bk.open();
      const S = await setupServer(sdb);
      srv = S.srv; call = S.call; admin = S.admin;
      url = await srv.app.listen({ port: 0, host: '127.0.0.1' });
    }, 120_000);
    afterAll(async () => { await srv?.close(); await sdb?.close(); await bk.stop(); });

    it('configure validates and never returns the token; records, conflicts and rejections travel between two laptops', async () => {
      const netA = switchableFetch(), netB = switchableFetch();
      const A = await laptop('anna', 'empty', netA);
      const B = await laptop('bjorn', 'none', netB);
      const a = A.be, b = B.be;
      const tokenA = await createSiteAndToken(call, admin, 'SITE');
      const tokenB = await createSiteAndToken(call, admin, 'SITE');

      // before configuring: not set up, edits wait in the queue
      must(await a.call('container.create', { id: 'P1', name: 'Pen 1', environment: 'sea' }));
      must(await a.call('batch.create', { id: 'B1', name: 'Batch 1', start_date: '2025-01-01' }));
      must(await a.call('assignment.create', { id: 'A1', batch_id: 'B1', container_id: 'P1', stage: 'Adult' }));
      must(await a.call('placement.record', { id: 'PL1', batch_id: 'B1', assignment_id: 'A1', date: '2025-01-01', count: 10000, avg_weight_g: 500 }));
      const before = must(await a.call('sync.status', {}));
      expect(before).toMatchObject({ configured: false, server_url: null, token_set: false, online: null });
      expect(before.pending).toBeGreaterThanOrEqual(5); // site + container + batch + assignment + placement
      const notSetUp = await a.call('sync.now', {});
      expect(notSetUp.ok).toBe(false);

      // configure: bad addresses and tokens are refused with the field named
      for (const bad of ['ftp://x.example', 'not a url', 'https://user:pw@x.example', 'https://x.example/?a=1', '']) {
        const r = await a.call('sync.configure', { server_url: bad, token: tokenA });
        expect(r.ok, bad).toBe(false);
        if (!r.ok) expect(r.error.field).toBe('server_url');
      }
      const badToken = await a.call('sync.configure', { server_url: url, token: 'has spaces in it' });
      expect(!badToken.ok && badToken.error.field).toBe('token');
      const noToken = await a.call('sync.configure', { server_url: url });
      expect(!noToken.ok && noToken.error.field).toBe('token');

      const confA = must(await a.call('sync.configure', { server_url: `${url}/`, token: tokenA }));
      expect(confA).toMatchObject({ configured: true, server_url: url, token_set: true });
      expect(JSON.stringify(confA)).not.toContain(tokenA);
      must(await b.call('sync.configure', { server_url: url, token: tokenB }));

      // record on A; sync.now on both: B sees it, the states are identical
      must(await a.call('sample.record', { id: 'G1', batch_id: 'B1', assignment_id: 'A1', date: '2025-03-01', sample_size: 30, avg_weight_g: 800 }));
      const nowA = must(await a.call('sync.now', {}));
      expect(nowA.status.pending).toBe(0);
      expect(nowA.status.online).toBe(true);
      expect(nowA.status.last_sync_at).toBe(NOW.toISOString());
      const nowB = must(await b.call('sync.now', {}));
      expect(nowB.status).toMatchObject({ pending: 0, online: true, last_error: null }); // (its timer's first cycle may have pulled already)
      expect(sample(b, 'G1')).toEqual({ avg_weight_g: 800, voided: 0 });
      expect(must(await b.call('site.get', {})).id).toBe('SITE');
      await a.idle(); await b.idle();
      expect(batchStatesDump(b.ctx.db).length).toBeGreaterThan(100);
      expect(batchStatesDump(b.ctx.db)).toEqual(batchStatesDump(a.ctx.db));
      // A pushed its device state snapshot after the cycle (spec §5); no mismatch with the server's states
      await srv.idle();
      must(await a.call('sync.now', {}));
      const snaps = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM device_snapshots WHERE site_id = 'SITE'`.execute(sdb.db)).rows[0]!.n;
      expect(snaps).toBeGreaterThan(0);
      const mism = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM state_mismatches WHERE site_id = 'SITE'`.execute(sdb.db)).rows[0]!.n;
      expect(mism).toBe(0);

      // offline, both correct the same field of G1
      netA.offline = true; netB.offline = true;
      must(await a.call('sample.correct', { id: 'G1', patch: { avg_weight_g: 810 }, reason: 'reweighed' }));
      must(await b.call('sample.correct', { id: 'G1', patch: { avg_weight_g: 820 }, reason: 'scale fixed' }));
      const offA = await a.call('sync.now', {});
      expect(!offA.ok && offA.error.code).toBe('unavailable');
      const stOff = must(await a.call('sync.status', {}));
      expect(stOff).toMatchObject({ pending: 1, online: false });
      expect(stOff.last_error).toMatch(/network down/);
      netA.offline = false; netB.offline = false;
      must(await a.call('sync.now', {}));
      must(await b.call('sync.now', {}));
      must(await a.call('sync.now', {}));
      const cA = must(await a.call('sync.status', {})).conflicts;
      const cB = must(await b.call('sync.status', {})).conflicts;
      for (const [c, me] of [[cA, 'anna'], [cB, 'bjorn']] as const) {
        expect(c).toHaveLength(1);
        expect(c[0]).toMatchObject({ entity_type: 'growth_sample', entity_id: 'G1', fields: ['avg_weight_g'], method: 'sample', voided: false });
        expect(c[0]!.label).toBe('Growth sample 1 Mar 2025 · Pen 1 · Batch 1');
        const byActor = Object.fromEntries(c[0]!.heads.map((h) => [h.actor, h]));
        expect(byActor.anna).toMatchObject({ kind: 'corrected', values: { avg_weight_g: 810 }, reason: 'reweighed', this_device: me === 'anna' });
        expect(byActor.bjorn).toMatchObject({ kind: 'corrected', values: { avg_weight_g: 820 }, reason: 'scale fixed', this_device: me === 'bjorn' });
        expect(c[0]!.heads.every((h) => typeof h.made_at === 'string' && h.device_id.length > 0)).toBe(true);
        expect(c[0]!.heads.filter((h) => h.winner)).toHaveLength(1);
      }
      // the same provisional winner, shown as the current value, on both laptops
      const winA = cA[0]!.heads.find((h) => h.winner)!;
      expect(cB[0]!.heads.find((h) => h.winner)!.event_id).toBe(winA.event_id);
      expect(cA[0]!.current).toEqual(winA.values);
      expect(sample(a, 'G1').avg_weight_g).toBe(sample(b, 'G1').avg_weight_g);
      // the UI was told
      expect(A.statuses.some((s) => s.conflicts.length === 1)).toBe(true);
      expect(B.statuses.some((s) => s.conflicts.length === 1)).toBe(true);

      // resolution is validated, then clears the conflict everywhere
      const badRes = await b.call('sync.resolveConflict', { entity_type: 'growth_sample', entity_id: 'G1', resolution: { patch: { avg_weight_g: -5 } }, reason: 'agreed' });
      expect(!badRes.ok && badRes.error.field).toMatch(/^resolution\.patch\.avg_weight_g/);
      const unknownField = await b.call('sync.resolveConflict', { entity_type: 'growth_sample', entity_id: 'G1', resolution: { patch: { colour: 'red' } }, reason: 'agreed' });
      expect(!unknownField.ok && unknownField.error.field).toBe('resolution.patch.colour');
      const noReason = await b.call('sync.resolveConflict', { entity_type: 'growth_sample', entity_id: 'G1', resolution: { patch: { avg_weight_g: 815 } }, reason: ' ' });
      expect(!noReason.ok && noReason.error.field).toBe('reason');
      const resolved = must(await b.call('sync.resolveConflict', { entity_type: 'growth_sample', entity_id: 'G1', resolution: { patch: { avg_weight_g: 815 } }, reason: 'agreed' }));
      expect(resolved.conflicts).toEqual([]);
      const again = await b.call('sync.resolveConflict', { entity_type: 'growth_sample', entity_id: 'G1', resolution: { void: true }, reason: 'twice' });
      expect(!again.ok && again.error.code).toBe('not_found');
      must(await b.call('sync.now', {}));
      must(await a.call('sync.now', {}));
      for (const l of [a, b]) {
        expect(must(await l.call('sync.status', {})).conflicts).toEqual([]);
        expect(sample(l, 'G1').avg_weight_g).toBe(815);
      }

      // a rejected event (its projection fails on the server) is listed with its reason and never blocks the queue
      a.ctx.db.pragma('foreign_keys = OFF');
      a.ctx.write([{ entityType: 'removal', entityId: 'R1', kind: 'recorded', occurredAt: '2025-02-01', payload: { batch_id: 'B1', assignment_id: 'NOPE', date: '2025-02-01', count: 1, kind: 'cull' } }]);
      a.ctx.db.pragma('foreign_keys = ON');
      must(await a.call('mortality.record', { id: 'M1', batch_id: 'B1', assignment_id: 'A1', date: '2025-02-02', count: 7 }));
      const afterPoison = must(await a.call('sync.now', {})).status;
      expect(afterPoison.pending).toBe(0);
      expect(afterPoison.rejected).toHaveLength(1);
      expect(afterPoison.rejected[0]).toMatchObject({ entity_type: 'removal', entity_id: 'R1', type: 'removal.recorded', actor: 'anna', label: 'Removal 1 Feb 2025 · Batch 1' });
      expect(afterPoison.rejected[0]!.reason).toMatch(/^invalid: .*FOREIGN KEY/i);
      expect(a.ctx.db.prepare('SELECT count(*) AS n FROM removals').get()).toEqual({ n: 0 });
      must(await b.call('sync.now', {}));
      expect(b.ctx.db.prepare("SELECT count FROM mortality WHERE id = 'M1'").get()).toEqual({ count: 7 });
      expect(b.ctx.db.prepare("SELECT count(*) AS n FROM events WHERE entity_id = 'R1'").get()).toEqual({ n: 0 });

      // both laptops: identical projections and states, nothing pending, same accepted events
      await a.idle(); await b.idle();
      expect(projectionDump(b.ctx.db)).toEqual(projectionDump(a.ctx.db));
      expect(batchStatesDump(b.ctx.db)).toEqual(batchStatesDump(a.ctx.db));
      const accepted = (be: Backend) => (be.ctx.db.prepare('SELECT event_id FROM events WHERE server_seq IS NOT NULL ORDER BY server_seq').all() as { event_id: string }[]).map((r) => r.event_id);
      expect(accepted(b)).toEqual(accepted(a));
      expect(must(await b.call('sync.status', {})).pending).toBe(0);

      // turning sync off keeps the data and forgets the token
      const off = must(await b.call('sync.configure', { server_url: null }));
      expect(off).toMatchObject({ configured: false, token_set: false, server_url: null });
      await a.close(); await b.close();
    }, 120_000);

    it('resumes on reopen: a stored configuration starts the client in createBackend, and a failed cycle backs off', async () => {
      const net = switchableFetch();
      const dbPath = join(mkdtempSync(join(tmpdir(), 'aquamind-app-sync-reopen-')), 'site.db');
      const token = await createSiteAndToken(call, admin, 'SITE2');
      const open = () => createBackend({ dbPath, clock: () => NOW, actor: 'carl', init: 'none', recompute: 'sync', sync: { fetch: net.fetch, intervalMs: 3_600_000, backoff: { baseMs: 60_000, maxMs: 60_000 } } });
      let be = await open();
      net.offline = true;
      must(await be.call('sync.configure', { server_url: url, token }));
      await expect.poll(() => be.ctx.sync!.status().last_error, { timeout: 5000 }).toMatch(/network down/);
      const st = be.ctx.sync!.status();
      expect(st.online).toBe(false);
      expect(st.next_attempt_at).not.toBeNull(); // backing off
      await be.close();
      // reopen online: the stored URL and token start the client; it syncs at once
      net.offline = false;
      const seen = net.requests;
      be = await open();
      await expect.poll(() => net.requests, { timeout: 5000 }).toBeGreaterThan(seen);
      await expect.poll(() => be.ctx.sync!.status().last_error, { timeout: 5000 }).toBeNull();
      expect(be.ctx.sync!.status()).toMatchObject({ configured: true, online: true });
      await be.close();
    }, 60_000);
  });
}
