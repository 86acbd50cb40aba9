/**
 * End to end, sync (issue 5): with sync set up against a server that cannot be reached, an edit
 * shows in the header's pending count; the Sync screen lists a conflict (pulled from another laptop)
 * and a rejected change, and resolving the conflict from the screen clears it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { RecordDto } from '../../backend/api/contract';
import type { Backend } from '../../backend/core';
import { canonicalJson, sha256Hex } from '../../backend/events/canonical';
import { createSyncClient, type FetchFn } from '../../sync/client/client';
import { CLOCK, findBrowser, launch, shotPath, startDemoServer } from './harness';

const browser = findBrowser();
if (!browser.path && process.env.CI) throw new Error(`e2e: ${browser.reason}`);
const d = browser.path ? describe : describe.skip;
const YESTERDAY = new Date(CLOCK.getTime() - 86_400_000).toISOString().slice(0, 10);

function must<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`call failed: ${JSON.stringify(r.error)}`);
  return r.value;
}

d(`sync in the app${browser.path ? '' : ` (skipped: ${browser.reason})`}`, () => {
  let server: Awaited<ReturnType<typeof startDemoServer>>;
  let be: Backend;
  let b: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startDemoServer();
    be = await server.backend;
    b = await launch(browser.path!);
    page = await (await b.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 180_000);
  afterAll(async () => {
    await b?.close();
    await server?.close();
  });

  it('the header shows the pending count after an edit while the server is unreachable', async () => {
    // port 9 (discard) on this machine: the connection is refused at once
    must(await be.call('sync.configure', { server_url: 'http://127.0.0.1:9', token: 'laptop-token-e2e-0001' }));
    await page.goto(server.url);
    const pending = page.getByTestId('sync-pending');
    await expect.poll(() => pending.innerText(), { timeout: 15_000 }).toMatch(/[\d,]+ to send · never synced/);
    await expect.poll(() => page.getByTestId('sync-indicator').innerText(), { timeout: 15_000 }).toMatch(/server offline/);
    const before = must(await be.call('sync.status', {})).pending;
    const pen = must(await be.call('container.list', {})).find((c) => c.current)!;
    must(await be.call('mortality.record', { batch_id: pen.current!.batch_id, assignment_id: pen.current!.assignment_id, date: YESTERDAY, count: 3, cause: 'e2e' }));
    await expect.poll(() => pending.innerText(), { timeout: 15_000 }).toContain(`${(before + 1).toLocaleString('en-GB')} to send`);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('the Sync screen lists a conflict and a rejected change; keeping a value resolves the conflict', async () => {
    const db = be.ctx.db;
    const site = must(await be.call('site.get', {}));
    const pen = must(await be.call('container.list', {})).find((c) => c.current)!;
    const batchId = pen.current!.batch_id;
    // a growth sample corrected here, while another laptop corrected the same weight (arrives by pull)
    const samples = must(await be.call('records.list', { batch_id: batchId, kind: 'sample' })) as RecordDto<'sample'>[];
    const s = samples.filter((r) => !r.voided && r.avg_weight_g != null).at(-1)!;
    const recordedEvent = s.updated_by_event!;
    const w = s.avg_weight_g as number;
    must(await be.call('sample.correct', { id: s.id, patch: { avg_weight_g: Math.round(w) + 5 }, reason: 'Re-weighed at the pen' }));
    const payload = { patch: { avg_weight_g: Math.round(w) + 12 }, reason: 'Typed from the paper sheet' };
    const other = {
      event_id: '01900000-0000-7000-8000-0000000000aa', device_id: '6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5', device_seq: 1,
      hlc: `${String(CLOCK.getTime() - 3_600_000).padStart(15, '0')}-00000-6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5`,
      occurred_at: s.date, type: 'growth_sample.corrected', v: 1, entity_type: 'growth_sample', entity_id: s.id, site_id: site.id,
      base_event_ids: [recordedEvent], actor: 'marta', payload, payload_sha256: sha256Hex(canonicalJson(payload)),
      server_seq: 1, received_at: new Date(CLOCK.getTime() - 3_500_000).toISOString(), effective_ts: new Date(CLOCK.getTime() - 3_600_000).toISOString(),
    };
    const fakeServer: FetchFn = async (url) => {
      if (!url.includes('/v1/sync/pull')) return { status: 503, text: async () => 'only pulls here' };
      return { status: 200, text: async () => JSON.stringify({ events: [other], next_cursor: 1, has_more: false, server_now: CLOCK.toISOString() }) };
    };
    await createSyncClient({ db, baseUrl: 'http://fake', token: 'x', fetch: fakeServer, clock: () => CLOCK }).pull();
    // a change the server refused (as a push answer would record it)
    const bad = must(await be.call('feed.record', { batch_id: batchId, assignment_id: pen.current!.assignment_id, date: YESTERDAY, kg: 120 }));
    db.prepare('INSERT INTO sync_rejected (event_id, reason, rejected_at) VALUES (?, ?, ?)').run(bad.event_id, 'invalid: FOREIGN KEY constraint failed', CLOCK.toISOString());

    await page.goto(`${server.url}#/sync`);
    const conflict = page.getByTestId('sync-conflict');
    await conflict.waitFor();
    const text = (await conflict.innerText()).replace(/\s+/g, ' ');
    expect(text).toMatch(/^Growth sample \d{1,2} [A-Z][a-z]{2} 20\d\d · /);
    expect(text).toContain('marta on laptop 6f1c2d3e');
    expect(text).toContain('technician on this laptop');
    expect(text).toContain('Typed from the paper sheet');
    expect(text).toContain('shown now');
    expect(await page.getByTestId('sync-rejected').innerText()).toMatch(/Feed .* refers to something the server does not have/s);
    await expect.poll(() => page.getByTestId('sync-indicator').innerText()).toMatch(/1 conflict, 1 rejected/);
    await page.screenshot({ path: shotPath('13-sync'), fullPage: true });

    // keep marta's value
    const row = conflict.locator('tr', { hasText: 'marta' });
    await row.getByTestId('keep-value').click();
    await expect.poll(() => page.getByTestId('sync-conflict').count()).toBe(0);
    const st = must(await be.call('sync.status', {}));
    expect(st.conflicts).toEqual([]);
    expect((db.prepare('SELECT avg_weight_g FROM growth_samples WHERE id = ?').get(s.id) as { avg_weight_g: number }).avg_weight_g).toBe(Math.round(w) + 12);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
