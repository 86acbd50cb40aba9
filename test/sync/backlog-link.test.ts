/**
 * Spec §8, "100,000 events of backlog over a slow, lossy link", at test scale: a laptop back from
 * weeks offline holds a backlog of thousands of events (mortality, feed, growth samples, temperature
 * logs, corrections and voids) and syncs through a link that, on a seeded schedule, delays requests,
 * fails a share of them before they reach the server and loses a share of the responses after the
 * server committed. A second laptop pulls (small pages) through its own lossy link while the first
 * is still pushing. At the end: every device and the server hold exactly the union of accepted
 * events, once, and identical projections and states (assertConverged).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { FetchFn } from '../../sync/client/client';
import type { ServerDb } from '../../sync/server/db';
import { backends } from './backends';
import { assertConverged, createSiteAndToken, injectFetch, makeLaptop, rng, seedSite, setupServer, type Laptop } from './helpers';

const BACKLOG = 3000;

/** A slow, lossy link: a seeded delay on every request, some requests fail, some responses are lost. */
function lossyLink(inner: FetchFn, r: () => number, p: { fail: number; lose: number; maxDelayMs: number }) {
  const n = { requests: 0, failed: 0, lost: 0, pushesLost: 0, pushesFailed: 0 };
  const f: FetchFn = async (url, init) => {
    n.requests++;
    const push = init.method === 'POST';
    await new Promise((res) => setTimeout(res, Math.floor(r() * p.maxDelayMs)));
    if (r() < p.fail) { n.failed++; if (push) n.pushesFailed++; throw new TypeError('fetch failed: connection reset'); }
    const res = await inner(url, init);
    const text = await res.text(); // the server has answered (and committed)
    await new Promise((res2) => setTimeout(res2, Math.floor(r() * p.maxDelayMs)));
    if (r() < p.lose) { n.lost++; if (push) n.pushesLost++; throw new TypeError('fetch failed: response lost'); }
    return { status: res.status, text: async () => text };
  };
  return { fetch: f, n };
}

/** The laptop's backlog: daily records over many weeks, now and then a correction or a void of one of them. */
function writeBacklog(l: Laptop, count: number, r: () => number): number {
  let written = 0;
  const mine: string[] = [];
  for (let i = 0; written < count; i++) {
    const day = new Date(Date.UTC(2025, 1, 1) + Math.floor(i / 40) * 86_400_000).toISOString().slice(0, 10);
    const x = r();
    const a = r() < 0.5 ? 'A1' : 'A2';
    if (x < 0.35) { l.write('mortality', `M${i}`, 'recorded', { batch_id: 'B1', assignment_id: a, date: day, count: 1 + Math.floor(r() * 9) }); mine.push(`M${i}`); }
    else if (x < 0.7) l.write('feed', `F${i}`, 'recorded', { batch_id: 'B1', assignment_id: a, date: day, kg: Math.round(r() * 40000) / 100 });
    else if (x < 0.8) l.write('growth_sample', `G${i}`, 'recorded', { batch_id: 'B1', assignment_id: a, date: day, sample_size: 30, avg_weight_g: 500 + i / 10 });
    else if (x < 0.94) {
      const readings = Array.from({ length: 24 }, (_, h) => ({ timestamp: `${day}T${String(h).padStart(2, '0')}:00:00Z`, value: Math.round((8 + r() * 4) * 100) / 100 }));
      l.write('temperature_log', `T${i}`, 'recorded', { container_id: a === 'A1' ? 'P1' : 'P2', readings, source: 'logger' });
    } else if (x < 0.98 && mine.length) l.write('mortality', mine[Math.floor(r() * mine.length)]!, 'corrected', { patch: { count: 10 + Math.floor(r() * 9) }, reason: 'recount' });
    else if (mine.length) {
      const id = mine.splice(Math.floor(r() * mine.length), 1)[0]!;
      l.write('mortality', id, 'voided', { reason: 'entered twice' });
    } else continue;
    written++;
  }
  return written;
}

for (const be of backends()) {
  describe.skipIf(be.skip !== null)(`a large backlog over a slow, lossy link on ${be.name}${be.skip ? ` (skipped: ${be.skip})` : ''}`, () => {
    let sdb: ServerDb;
    let S: Awaited<ReturnType<typeof setupServer>>;
    beforeAll(async () => { sdb = await be.open(); S = await setupServer(sdb); });
    afterAll(async () => { await S?.srv.close(); await sdb?.close(); await be.stop(); });

    it(`${BACKLOG} events pushed and pulled through delays, failed requests and lost responses converge`, async () => {
      const site = 'LOSSY';
      const token = await createSiteAndToken(S.call, S.admin, site);
      const r = rng(5_2025);
      // one seeded schedule per link: each laptop's faults follow its own requests, whatever the interleaving
      const linkA = lossyLink(injectFetch(S.srv), rng(11), { fail: 0.3, lose: 0.3, maxDelayMs: 4 });
      const linkB = lossyLink(injectFetch(S.srv), rng(12), { fail: 0.2, lose: 0.25, maxDelayMs: 4 });
      // small pages for the second laptop: many pull round trips through the lossy link
      const a = makeLaptop('a', site, token, linkA.fetch), b = makeLaptop('b', site, token, linkB.fetch, { pullLimit: 150 });
      seedSite(a, site);
      const written = writeBacklog(a, BACKLOG, r);
      const total = written + 7;
      expect(a.client.status().pending).toBe(total);

      // both laptops sync until the backlog is through; a failed cycle is retried, as the timer does
      let attempts = 0;
      const cycle = async (l: Laptop) => { attempts++; try { await l.client.syncNow(); return true; } catch { return false; } };
      for (let round = 0; round < 400; round++) {
        await Promise.all([cycle(a), cycle(b)]);
        const serverCount = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM events WHERE site_id = ${site}`.execute(sdb.db)).rows[0]!.n;
        if (a.client.status().pending === 0 && serverCount === total && b.client.status().pull_cursor === a.client.status().pull_cursor && round > 2) break;
      }
      // a last clean cycle each (the link stays lossy: retried until one goes through)
      for (const l of [a, b]) { for (let i = 0; i < 50 && !(await cycle(l)); i++); }

      // the link really was slow and lossy on both sides, and pushes had to be retried
      expect(linkA.n.pushesFailed, JSON.stringify(linkA.n)).toBeGreaterThan(0);
      expect(linkA.n.pushesLost, JSON.stringify(linkA.n)).toBeGreaterThan(0); // committed on the server, resent, answered duplicate
      expect(linkB.n.failed + linkB.n.lost, JSON.stringify(linkB.n)).toBeGreaterThan(5);
      expect(attempts).toBeGreaterThan(10);
      const serverEvents = (await sql<{ n: number; d: number }>`SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM events WHERE site_id = ${site}`.execute(sdb.db)).rows[0]!;
      expect(serverEvents).toEqual({ n: total, d: total });
      expect(a.client.status().rejected).toEqual([]);
      expect((b.conn.sqlite.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n).toBe(total);
      expect((b.conn.sqlite.prepare('SELECT sum(n) AS n FROM temperature_reading_days').get() as { n: number }).n).toBeGreaterThan(BACKLOG);
      await assertConverged(sdb, S.srv, site, [a, b]);
      a.conn.close(); b.conn.close();
    }, 300_000);
  });
}
