/** Push/pull semantics of spec §2–§3 and the security rules of §7, on PostgreSQL 15 and on PGlite+TimescaleDB. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../backend/events/canonical';
import { createUuidV7 } from '../../backend/events/uuidv7';
import type { ServerDb } from '../../sync/server/db';
import { buildServer } from '../../sync/server/app';
import type { WireEvent } from '../../sync/protocol';
import { backends } from './backends';
import { createSiteAndToken, NOW, setupServer } from './helpers';

const uuid = createUuidV7();

function ev(device: string, seq: number, site: string, entity: string, id: string, kind: string, payload: Record<string, unknown>, base: string[] = []): WireEvent {
  const p = canonicalJson(payload);
  return {
    event_id: uuid(), device_id: device, device_seq: seq, hlc: `${String(Date.parse('2025-06-30T10:00:00Z')).padStart(15, '0')}-00000-${device}`,
    occurred_at: '2025-06-30T10:00:00Z', type: `${entity}.${kind}`, v: 1, entity_type: entity, entity_id: id, site_id: site,
    base_event_ids: base, actor: 'tester', payload, payload_sha256: sha256Hex(p),
  };
}
const body = (device: string, events: WireEvent[]) => ({ device_id: device, protocol: 1, app_version: 't', client_now: '2025-06-30T12:00:00Z', events });
const sitePayload = { name: 'S', timezone: 'UTC', default_duration_days: 900, default_harvest_weight_g: 5000, default_tgc_by_stage: {}, default_mortality_rate_by_stage: {}, default_fcr_by_stage: {}, default_fcr_bands: [], default_temperature_profile: { points: [{ day_of_year: 1, temp_c: 10 }] } };

for (const be of backends()) {
  describe.skipIf(be.skip !== null)(`server on ${be.name}${be.skip ? ` (skipped: ${be.skip})` : ''}`, () => {
    let sdb: ServerDb;
    let S: Awaited<ReturnType<typeof setupServer>>;
    let tokA: string, tokB: string;
    beforeAll(async () => {
      sdb = await be.open();
      S = await setupServer(sdb);
      tokA = await createSiteAndToken(S.call, S.admin, 'A');
      tokB = await createSiteAndToken(S.call, S.admin, 'B');
      const d0 = randomUUID();
      expect((await S.call('POST', '/v1/sync/push', tokA, body(d0, [ev(d0, 1, 'A', 'site', 'A', 'recorded', sitePayload)]))).body.results[0].status).toBe('accepted');
    });
    afterAll(async () => { await S?.srv.close(); await sdb?.close(); await be.stop(); });

    it('is idempotent on event_id; same id with another hash is rejected; seq conflicts and gaps answer 409', async () => {
      const d = randomUUID();
      const e1 = ev(d, 1, 'A', 'stage_table', 'A', 'recorded', { stages: [] });
      const e2 = ev(d, 2, 'A', 'container', 'C1', 'recorded', { site_id: 'A', name: 'C1', environment: 'sea' });
      const r1 = await S.call('POST', '/v1/sync/push', tokA, body(d, [e1, e2]));
      expect(r1.status).toBe(200);
      expect(r1.body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted']);
      const again = await S.call('POST', '/v1/sync/push', tokA, body(d, [e1, e2]));
      expect(again.body.results.map((r: { status: string; server_seq: number }) => [r.status, r.server_seq])).toEqual(r1.body.results.map((r: { server_seq: number }) => ['duplicate', r.server_seq]));
      // same id, other payload
      const forged = { ...e2, payload: { ...e2.payload, name: 'X' } };
      forged.payload_sha256 = sha256Hex(canonicalJson(forged.payload));
      const f = await S.call('POST', '/v1/sync/push', tokA, body(d, [forged]));
      expect(f.body.results[0].status).toBe('rejected');
      expect(f.body.results[0].reason).toMatch(/another payload/);
      // (device, seq) taken by another event
      const clone = ev(d, 2, 'A', 'container', 'C2', 'recorded', { site_id: 'A', name: 'C2', environment: 'sea' });
      const c = await S.call('POST', '/v1/sync/push', tokA, body(d, [clone]));
      expect(c.status).toBe(409);
      expect(c.body.error).toBe('device_seq_conflict');
      // a gap
      const g = await S.call('POST', '/v1/sync/push', tokA, body(d, [ev(d, 5, 'A', 'container', 'C5', 'recorded', { site_id: 'A', name: 'C5', environment: 'sea' })]));
      expect(g.status).toBe(409);
      expect(g.body).toMatchObject({ error: 'expected_seq', expected_seq: 3 });
    });

    it('rejects a poison event and the events built on it, accepts the rest', async () => {
      const d = randomUUID();
      const good = ev(d, 1, 'A', 'container', 'PX', 'recorded', { site_id: 'A', name: 'PX', environment: 'sea' });
      const poison = ev(d, 2, 'A', 'container', 'PY', 'recorded', { site_id: 'A', name: 'PY', environment: 'lake' }); // CHECK fails
      const onPoison = ev(d, 3, 'A', 'container', 'PY', 'corrected', { patch: { name: 'PY2' }, reason: 'x' }, [poison.event_id]);
      const badHash = { ...ev(d, 4, 'A', 'container', 'PZ', 'recorded', { site_id: 'A', name: 'PZ', environment: 'sea' }), payload_sha256: '0'.repeat(64) };
      const after = ev(d, 5, 'A', 'container', 'PX', 'corrected', { patch: { name: 'PX2' }, reason: 'x' }, [good.event_id]);
      const r = await S.call('POST', '/v1/sync/push', tokA, body(d, [good, poison, onPoison, badHash, after]));
      expect(r.status).toBe(200);
      expect(r.body.results.map((x: { status: string }) => x.status)).toEqual(['accepted', 'rejected', 'rejected', 'rejected', 'accepted']);
      expect(r.body.results[2].reason).toMatch(/built on rejected event/);
      // the queue goes on: the next seq is 6
      const n = await S.call('POST', '/v1/sync/push', tokA, body(d, [ev(d, 6, 'A', 'container', 'PW', 'recorded', { site_id: 'A', name: 'PW', environment: 'sea' })]));
      expect(n.body.results[0].status).toBe('accepted');
    });

    it('a push longer than an insert chunk: rejections in the middle, accepted events stored once in order; a push failing after its chunks were inserted stores nothing', async () => {
      const tok = await createSiteAndToken(S.call, S.admin, 'CHUNK');
      const d0 = randomUUID();
      await S.call('POST', '/v1/sync/push', tok, body(d0, [ev(d0, 1, 'CHUNK', 'site', 'CHUNK', 'recorded', sitePayload)]));
      const d = randomUUID();
      const evs = Array.from({ length: 350 }, (_, i) => ev(d, i + 1, 'CHUNK', 'container', `K${i}`, 'recorded', { site_id: 'CHUNK', name: `k${i}`, environment: 'sea' }));
      evs[120] = { ...evs[120]!, payload_sha256: '0'.repeat(64) }; // bad hash
      evs[121] = ev(d, 122, 'CHUNK', 'container', 'K120', 'corrected', { patch: { name: 'x' }, reason: 'x' }, [evs[120]!.event_id]); // built on it
      evs[250] = ev(d, 251, 'CHUNK', 'container', 'K250', 'recorded', { site_id: 'CHUNK', name: 'k250', environment: 'lake' }); // CHECK fails
      const r = await S.call('POST', '/v1/sync/push', tok, body(d, evs));
      expect(r.status).toBe(200);
      const st = r.body.results.map((x: { status: string }) => x.status) as string[];
      expect(st.filter((x) => x === 'rejected')).toHaveLength(3);
      expect([st[120], st[121], st[250]]).toEqual(['rejected', 'rejected', 'rejected']);
      const seqs = r.body.results.filter((x: { status: string }) => x.status === 'accepted').map((x: { server_seq: number }) => x.server_seq) as number[];
      expect(seqs).toHaveLength(347);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
      const pulled = (await S.call('GET', '/v1/sync/pull?after=0&limit=5000', tok)).body.events as { event_id: string; server_seq: number }[];
      const mine = pulled.filter((e) => evs.some((x) => x.event_id === e.event_id));
      expect(mine.map((e) => e.server_seq)).toEqual(seqs);
      expect(mine.map((e) => e.event_id)).toEqual(evs.filter((_, i) => st[i] === 'accepted').map((e) => e.event_id));

      // a push of 300 good events that fails after its chunks were inserted (here: before commit, on a
      // second server over the same database): nothing of it is stored, and the server's replica
      // takes the same events again afterwards
      const d2 = randomUUID();
      const evs2 = Array.from({ length: 300 }, (_, i) => ev(d2, i + 1, 'CHUNK', 'container', `L${i}`, 'recorded', { site_id: 'CHUNK', name: `l${i}`, environment: 'sea' }));
      let fail = true;
      const srv2 = await buildServer({ db: sdb, clock: () => NOW, beforeCommit: () => { if (fail) throw new Error('killed before commit'); } });
      const call2 = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
        const x = await srv2.app.inject({ method, url, headers: { authorization: `Bearer ${tok}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
        return { status: x.statusCode, body: x.body ? JSON.parse(x.body) : null };
      };
      const g = await call2('POST', '/v1/sync/push', body(d2, evs2));
      expect(g.status).toBe(500);
      const after = (await call2('GET', '/v1/sync/pull?after=0&limit=5000')).body.events as { device_id: string }[];
      expect(after.filter((e) => e.device_id === d2)).toHaveLength(0);
      expect(after).toHaveLength(pulled.length);
      fail = false;
      const again = await call2('POST', '/v1/sync/push', body(d2, evs2));
      expect(again.status).toBe(200);
      expect((again.body.results as { status: string }[]).every((x) => x.status === 'accepted')).toBe(true);
      expect(((await call2('GET', '/v1/sync/pull?after=0&limit=5000')).body.events as unknown[])).toHaveLength(pulled.length + 300);
      await srv2.close();
    });

    it('never lets a reader skip a server_seq: 8 concurrent pushers while readers poll', async () => {
      const tok = await createSiteAndToken(S.call, S.admin, 'CONC');
      const d0 = randomUUID();
      await S.call('POST', '/v1/sync/push', tok, body(d0, [ev(d0, 1, 'CONC', 'site', 'CONC', 'recorded', sitePayload)]));
      const devices = Array.from({ length: 8 }, () => randomUUID());
      const perDevice = 12, perPush = 5;
      let done = false;
      const seen: number[][] = [];
      const reader = async () => {
        let after = 0;
        const mine: number[] = [];
        for (let guard = 0; guard < 100_000; guard++) {
          const finished = done;
          const r = await S.call('GET', `/v1/sync/pull?after=${after}&limit=7`, tok);
          for (const e of r.body.events) mine.push(e.server_seq);
          after = r.body.next_cursor;
          if (finished && !r.body.has_more) break;
          if (r.body.events.length === 0) await new Promise((res) => setTimeout(res, 3));
        }
        seen.push(mine);
      };
      const pusher = async (d: string) => {
        let seq = 1;
        for (let i = 0; i < perDevice; i++) {
          const evs = Array.from({ length: perPush }, () => ev(d, seq++, 'CONC', 'container', `K-${d}-${seq}`, 'recorded', { site_id: 'CONC', name: 'k', environment: 'sea' }));
          const r = await S.call('POST', '/v1/sync/push', tok, body(d, evs));
          expect(r.status).toBe(200);
        }
      };
      const readers = [reader(), reader(), reader()];
      await Promise.all(devices.map(pusher));
      done = true;
      await Promise.all(readers);
      const all = (await S.call('GET', `/v1/sync/pull?after=0&limit=5000`, tok)).body.events.map((e: { server_seq: number }) => e.server_seq);
      expect(all.length).toBe(8 * perDevice * perPush + 1);
      for (const m of seen) expect(m).toEqual(all); // every reader saw every event, in order, none skipped
    });

    it('security: a site-A token cannot push or pull site B; wrong and revoked tokens; bad bodies; SQL in strings', async () => {
      const d = randomUUID();
      // push site B events with A's token
      const r = await S.call('POST', '/v1/sync/push', tokA, body(d, [ev(d, 1, 'B', 'site', 'B', 'recorded', sitePayload)]));
      expect(r.status).toBe(403);
      // B's events are never visible to A
      const db2 = randomUUID();
      expect((await S.call('POST', '/v1/sync/push', tokB, body(db2, [ev(db2, 1, 'B', 'site', 'B', 'recorded', sitePayload)]))).status).toBe(200);
      const pa = await S.call('GET', '/v1/sync/pull?after=0&limit=5000', tokA);
      expect(pa.body.events.every((e: { site_id: string }) => e.site_id === 'A')).toBe(true);
      // a device of site B cannot be used with A's token
      const rb = await S.call('POST', '/v1/sync/push', tokA, body(db2, [ev(db2, 2, 'A', 'container', 'Q', 'recorded', { site_id: 'A', name: 'Q', environment: 'sea' })]));
      expect(rb.status).toBe(403);
      // wrong token, no token, device token on admin routes
      expect((await S.call('GET', '/v1/sync/pull', 'nope')).status).toBe(401);
      expect((await S.app().inject({ method: 'GET', url: '/v1/sync/pull' })).statusCode).toBe(401);
      expect((await S.call('POST', '/v1/admin/sites', tokA, { id: 'Z', name: 'z' })).status).toBe(403);
      expect((await S.call('GET', '/v1/hq/sites', tokA)).status).toBe(403);
      // revoked
      const reg = await S.call('POST', '/v1/admin/devices', S.admin, { site_id: 'A' });
      expect((await S.call('GET', '/v1/sync/pull', reg.body.token)).status).toBe(200);
      expect((await S.call('POST', '/v1/admin/tokens/revoke', S.admin, { token_id: reg.body.token_id })).status).toBe(200);
      expect((await S.call('GET', '/v1/sync/pull', reg.body.token)).status).toBe(401);
      // oversized and malformed bodies
      const big = await S.app().inject({ method: 'POST', url: '/v1/sync/push', headers: { authorization: `Bearer ${tokA}`, 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'a'.repeat(1024 * 1024 + 10) }) });
      expect(big.statusCode).toBe(413);
      const bad = await S.app().inject({ method: 'POST', url: '/v1/sync/push', headers: { authorization: `Bearer ${tokA}`, 'content-type': 'application/json' }, payload: '{"device_id": ' });
      expect(bad.statusCode).toBe(400);
      expect((await S.call('POST', '/v1/sync/push', tokA, { device_id: d })).status).toBe(400);
      expect((await S.call('POST', '/v1/sync/push', tokA, body(d, Array.from({ length: 1001 }, (_, i) => ev(d, i + 1, 'A', 'container', `c${i}`, 'recorded', {}))))).status).toBe(400);
      expect((await S.call('GET', '/v1/sync/pull?after=-1', tokA)).status).toBe(400);
      expect((await S.call('GET', "/v1/sync/pull?after=0;DROP TABLE events", tokA)).status).toBe(400);
      // SQL in every string field: stored verbatim, nothing executed
      const inj = "x'); DROP TABLE events; --";
      const d3 = randomUUID();
      const e = ev(d3, 1, 'A', 'container', inj, 'recorded', { site_id: 'A', name: inj, environment: 'sea', kind: inj });
      e.actor = inj; e.hlc = inj; e.occurred_at = '2025-06-30';
      const ri = await S.call('POST', '/v1/sync/push', tokA, body(d3, [e]));
      expect(ri.status).toBe(200);
      expect(ri.body.results[0].status).toBe('accepted');
      expect((await S.call('POST', '/v1/admin/sites', S.admin, { id: inj, name: inj })).status).toBe(400);
      expect((await S.call('POST', '/v1/admin/sites', S.admin, { id: 'ok', name: inj })).status).toBe(201);
      expect((await S.call('GET', `/v1/hq/sites/${encodeURIComponent(inj)}/batches/${encodeURIComponent(inj)}/daily`, S.admin)).status).toBe(200);
      const back = (await S.call('GET', '/v1/sync/pull?after=0&limit=5000', tokA)).body.events.find((x: { event_id: string }) => x.event_id === e.event_id);
      expect(back).toMatchObject({ actor: inj, entity_id: inj, payload: { name: inj } });
      const sites = await S.call('GET', '/v1/hq/sites', S.admin);
      expect(sites.body.sites.map((s: { id: string }) => s.id)).toContain('ok');
    });
  });
}
