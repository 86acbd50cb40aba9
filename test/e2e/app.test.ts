/**
 * End to end: Chromium drives the browser build (`web/server.ts` + dist-web) against the real
 * backend on a copy of the demo site. Every screen is saved to test-results/screenshots/.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CLOCK, findBrowser, launch, shotPath, startDemoServer } from './harness';

const browser = findBrowser();
if (!browser.path && process.env.CI) throw new Error(`e2e: ${browser.reason}`);
const d = browser.path ? describe : describe.skip;
const TODAY = CLOCK.toISOString().slice(0, 10);
const addDays = (iso: string, n: number) => new Date(Date.parse(iso) + n * 86_400_000).toISOString().slice(0, 10);

d(`the app in Chromium${browser.path ? '' : ` (skipped: ${browser.reason})`}`, () => {
  let server: Awaited<ReturnType<typeof startDemoServer>>;
  let b: Browser;
  let ctx: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const pageErrors: string[] = [];
  const ids: Record<string, string> = {};
  const names: string[] = [];

  beforeAll(async () => {
    server = await startDemoServer();
    const list = await (await server.backend).call('batch.list', {});
    // the demo's batches by age: the sea batch (oldest), an older and a young hatchery batch
    if (list.ok) {
      const byAge = [...list.value].sort((p, q) => (p.start_date < q.start_date ? -1 : 1));
      ids.sea = byAge[0]!.id; ids.hatcheryOld = byAge[1]!.id; ids.hatcheryYoung = byAge[2]!.id;
      names.push(...list.value.map((bt) => bt.name));
    }
    b = await launch(browser.path!);
    ctx = await b.newContext({ viewport: { width: 1440, height: 900 } });
    page = await ctx.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  }, 180_000);
  afterEach(async (t) => {
    if (t.task.result?.state === 'fail') await page.screenshot({ path: shotPath(`FAILED-${t.task.name.slice(0, 40).replace(/\W+/g, '-')}`), fullPage: true }).catch(() => {});
  });
  afterAll(async () => {
    await b?.close();
    await server?.close();
  });

  const actualPath = () => page.locator('[data-series="actual"]').getAttribute('d');
  async function openBatch(id: string) {
    await page.goto(`${server.url}#/batch/${id}`);
    await page.locator('[data-series="actual"]').waitFor();
  }
  async function setRange(from: string, to: string) {
    await page.getByTestId('range-from').fill(from);
    await page.getByTestId('range-to').fill(to);
    await page.waitForTimeout(100);
  }
  /** Hovers the main chart at a date and returns the tooltip's text. */
  async function tooltipAt(date: string, from: string, to: string): Promise<string> {
    const box = (await page.getByTestId('chart-hover').boundingBox())!;
    const f = (Date.parse(date) - Date.parse(from)) / (Date.parse(to) - Date.parse(from));
    await page.mouse.move(box.x + box.width * f, box.y + box.height / 2);
    const tip = page.getByTestId('tooltip');
    await tip.waitFor();
    return (await tip.innerText()).replace(/\s+/g, ' ');
  }

  it('site overview lists every batch with its KPIs and the sync status', async () => {
    await page.goto(server.url);
    const rows = page.locator('[data-testid="batch-table"] tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    expect((await rows.locator('strong').allInnerTexts()).sort()).toEqual([...names].sort());
    const text = await page.getByTestId('batch-table').innerText();
    expect(text).toMatch(/Sea 2024/);
    expect(text).toMatch(/below plan|above plan|on plan/);
    expect(text).toMatch(/\d{1,2} [A-Z][a-z]{2} 20\d\d/); // dates like 14 Mar 2026
    await expect.poll(() => page.getByTestId('sync-status').innerText()).toMatch(/Saved locally/);
    await page.screenshot({ path: shotPath('01-site-overview'), fullPage: true });
  });

  it('growth analysis draws every series as one path, with callouts and a tooltip with provenance', async () => {
    const t0 = Date.now();
    await openBatch(ids.sea!);
    const firstChartMs = Date.now() - t0;
    expect(firstChartMs).toBeLessThan(5000);
    for (const s of ['actual', 'scenario', 'forecast', 'samples', 'samples-sd']) await expect.poll(() => page.locator(`[data-series="${s}"]`).count()).toBe(1);
    expect(await page.locator('[data-series="forecast"]').getAttribute('stroke-dasharray')).toBeTruthy();
    const callouts = await page.getByTestId('callouts').innerText();
    expect(callouts).toMatch(/(below|above|on) plan/);
    expect(callouts).toMatch(/reached ≈ \d{1,2} [A-Z][a-z]{2} 20\d\d|not reached/);
    await page.waitForTimeout(800); // the per-container states (provenance) arrive second
    const tip = await tooltipAt(addDays(TODAY, -30), ...(await currentRange()));
    expect(tip).toMatch(/day \d+/);
    expect(tip).toMatch(/Actual/);
    expect(tip).toMatch(/Weight .* \d+ %/i);
    await page.screenshot({ path: shotPath('02-growth-analysis'), fullPage: true });
    await page.screenshot({ path: shotPath('03-tooltip') });
  });

  async function currentRange(): Promise<[string, string]> {
    return [await page.getByTestId('range-from').inputValue(), await page.getByTestId('range-to').inputValue()];
  }

  it('series toggles hide and show series; the drilldown shows all containers or one', async () => {
    await openBatch(ids.sea!);
    await page.getByTestId('toggle-scenario').uncheck();
    await expect.poll(() => page.locator('[data-series="scenario"]').count()).toBe(0);
    await page.getByTestId('toggle-samples').uncheck();
    await expect.poll(() => page.locator('[data-series="samples"]').count()).toBe(0);
    await page.getByTestId('toggle-scenario').check();
    await page.getByTestId('toggle-samples').check();
    await expect.poll(() => page.locator('[data-series="scenario"]').count()).toBe(1);

    await expect.poll(() => page.locator('[data-testid="drill"] option[value="all"]').isDisabled()).toBe(false);
    const n = (await page.locator('[data-testid="drill"] option').count()) - 2;
    expect(n).toBeGreaterThan(20);
    await page.getByTestId('drill').selectOption('all');
    await expect.poll(() => page.locator('[data-series="container"]').count()).toBe(n);
    await page.screenshot({ path: shotPath('04-drilldown-all-containers'), fullPage: true });
    const one = await page.locator('[data-testid="drill"] option').nth(2 + n - 1).getAttribute('value');
    await page.getByTestId('drill').selectOption(one!);
    await expect.poll(() => page.locator('[data-series="container"]').count()).toBe(0);
    await expect.poll(() => page.locator('[data-series="actual"]').count()).toBe(1);
    await page.screenshot({ path: shotPath('05-drilldown-one-container'), fullPage: true });
    await page.getByTestId('drill').selectOption('batch');
  });

  it('a technician records a transfer with measured weights and the Actual line moves at that date', async () => {
    await openBatch(ids.hatcheryYoung!);
    const from = addDays(TODAY, -20);
    await setRange(from, TODAY);
    const date = addDays(TODAY, -2);
    const before = await tooltipAt(date, from, TODAY);
    const pathBefore = await actualPath();
    const panel = page.getByTestId('entry-panel');
    await panel.locator('[data-kind="transfer"]').click();
    const form = page.getByTestId('form-transfer');
    const source = await form.locator('#f-source_assignment_id option', { hasText: 'Hatchery tray' }).first().getAttribute('value');
    await form.locator('#f-source_assignment_id').selectOption(source!);
    const destOptions = await form.locator('#f-dest_assignment_id option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value).filter((v) => v.startsWith('new:')));
    await form.locator('#f-dest_assignment_id').selectOption(destOptions[0]!);
    await form.locator('#f-date').fill(date);
    await form.locator('#f-count').fill('8000');
    await form.locator('#f-measured_avg_weight_g').fill('1.3');
    await form.locator('#f-measured_std_dev_g').fill('0.5');
    await form.locator('#f-measured_sample_size').fill('60');
    await form.locator('#f-selection_method').selectOption('AVERAGE');
    await form.locator('#f-count').press('Enter');
    await page.getByTestId('saved').waitFor();
    await expect.poll(actualPath, { timeout: 10_000 }).not.toBe(pathBefore);
    const after = await tooltipAt(date, from, TODAY);
    const grams = (t: string) => Number(/Actual (?:\(week\) )?([\d.,]+) g/.exec(t)?.[1]?.replace(',', ''));
    expect(grams(after)).toBeGreaterThan(grams(before));
    expect(after).toMatch(/transfer weighing: 1\.3 g/);
    await page.screenshot({ path: shotPath('06-transfer-saved-actual-moved'), fullPage: true });
  });

  it('a bad entry shows its error next to the field and changes nothing', async () => {
    await openBatch(ids.hatcheryYoung!);
    const pathBefore = await actualPath();
    const panel = page.getByTestId('entry-panel');
    await panel.locator('[data-kind="transfer"]').click();
    const form = page.getByTestId('form-transfer');
    const dests = await form.locator('#f-dest_assignment_id option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value).filter((v) => v && !v.startsWith('new:')));
    await form.locator('#f-dest_assignment_id').selectOption(dests[0]!);
    const recordsBefore = await page.getByTestId('records').innerText();
    await form.locator('#f-count').fill('99000000');
    await form.locator('#f-count').press('Enter');
    const err = form.locator('[data-field="count"] .field-error');
    await err.waitFor();
    expect(await err.innerText()).toMatch(/\w/);
    await page.screenshot({ path: shotPath('07-bad-entry-error'), fullPage: true });
    // a value that is not a number is caught at the field as well
    await form.locator('#f-measured_avg_weight_g').fill('abc');
    await form.locator('#f-count').press('Enter');
    await form.locator('[data-field="measured_avg_weight_g"] .field-error').waitFor();
    await page.screenshot({ path: shotPath('07b-bad-entry-not-a-number'), fullPage: true });
    await page.waitForTimeout(500);
    expect(await actualPath()).toBe(pathBefore);
    expect(await page.getByTestId('records').innerText()).toBe(recordsBefore);
  });

  it('a growth sample from individual fish shows mean, SD and K live, and saving updates the chart', async () => {
    await page.goto(`${server.url}#/entry/${ids.sea}`);
    await page.getByTestId('entry-panel').locator('[data-kind="sample"]').click();
    const form = page.getByTestId('form-sample');
    await form.waitFor();
    await form.locator('#f-individual_weights_g').fill('2300 55\n2450 56\n2200 54.5\n2600 57\n2380 55.5');
    const live = await page.getByTestId('live-stats').innerText();
    expect(live).toMatch(/n 5/);
    expect(live).toMatch(/mean 2\.39 kg/);
    expect(live).toMatch(/K 1\.\d\d/);
    await page.screenshot({ path: shotPath('08-data-entry-sample'), fullPage: true });
    await form.locator('#f-individual_weights_g').press('Control+Enter');
    await page.getByTestId('saved').waitFor();
    await expect.poll(() => page.getByTestId('records').innerText()).toMatch(/2\.39 kg, n 5/);
  });

  it('a record can be voided with a reason from its history', async () => {
    await page.goto(`${server.url}#/entry/${ids.sea}`);
    const rec = page.getByTestId('records').locator('li').first();
    await rec.getByRole('button', { name: 'Void' }).click();
    await rec.getByLabel('Reason').fill('scale not tared');
    await rec.getByRole('button', { name: 'Void record' }).click();
    await expect.poll(() => page.getByTestId('records').locator('li').first().innerText()).toMatch(/voided/);
    await page.getByTestId('records').locator('li').first().getByRole('button', { name: 'History' }).click();
    await expect.poll(() => page.getByTestId('records').locator('.history').innerText()).toMatch(/scale not tared/);
    await page.screenshot({ path: shotPath('09-record-history'), fullPage: true });
  });

  it('imports a temperature CSV with a preview of bad rows, and exports the Actual series', async () => {
    const containers = await (await server.backend).call('container.list', {});
    const c = containers.ok ? containers.value.find((x) => x.current?.batch_id === ids.hatcheryYoung)! : null;
    const csv = ['container_id,timestamp,value', ...[0, 6, 12, 18].map((h) => `${c!.id},${addDays(TODAY, -1)}T${String(h).padStart(2, '0')}:00:00Z,${(11.5 + h / 24).toFixed(2)}`), `${c!.id},not-a-time,12`].join('\n');
    await page.goto(`${server.url}#/import`);
    await page.getByTestId('import-file').setInputFiles({ name: 'logger.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Check the file' }).click();
    const preview = page.getByTestId('import-preview');
    await preview.waitFor();
    expect(await preview.innerText()).toMatch(/4 good/);
    expect(await preview.innerText()).toMatch(/row 6/);
    // the first rows as the mapping reads them, the bad one marked
    const mapped = page.getByTestId('import-mapped-rows');
    expect(await mapped.locator('tbody tr').count()).toBe(5);
    expect(await mapped.locator('thead').innerText()).toMatch(/timestamp/);
    expect(await mapped.locator('tbody tr').first().innerText()).toContain(c!.id);
    expect(await mapped.locator('tbody tr.bad').count()).toBe(1);
    await page.screenshot({ path: shotPath('11-import-preview'), fullPage: true });
    await page.getByTestId('import-commit').click();
    await expect.poll(() => page.getByTestId('import-result').innerText(), { timeout: 20_000 }).toMatch(/Imported 4 rows/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-go').click()]);
    expect(download.suggestedFilename()).toMatch(/actual-daily\.csv$/);
    await expect.poll(() => page.getByTestId('export-msg').innerText()).toMatch(/rows/);
    await page.screenshot({ path: shotPath('12-import-export-done'), fullPage: true });
    // the imported readings are one temperature log, voided whole with a reason
    await page.goto(`${server.url}#/entry/${ids.hatcheryYoung}`);
    await page.getByTestId('entry-panel').locator('[data-kind="temperatureDaily"]').click();
    const log = page.getByTestId('temperature-logs').locator('li').first();
    await expect.poll(() => log.innerText()).toMatch(/4 readings, mean 11\.\d\d °C · csv/);
    await log.getByRole('button', { name: 'Void' }).click();
    await log.getByLabel('Reason').fill('logger left on the bench');
    await log.getByRole('button', { name: 'Void log' }).click();
    await expect.poll(() => page.getByTestId('temperature-logs').locator('li.voided').first().innerText()).toMatch(/4 readings.*voided/s);
    await page.screenshot({ path: shotPath('13-temperature-log-voided'), fullPage: true });
  });

  it('works with the network off: nothing leaves the machine, and entry still saves', async () => {
    // A fresh window whose only way out is a dead proxy: every request except to this computer fails.
    // (Chromium's offline emulation would also cut the loopback WebSocket, which a real outage does not.)
    const off = await b.newContext({ viewport: { width: 1440, height: 900 }, proxy: { server: 'http://127.0.0.1:9', bypass: '127.0.0.1' } });
    const p2 = await off.newPage();
    const seen: string[] = [];
    p2.on('request', (r) => seen.push(r.url()));
    await p2.addInitScript(() => { Object.defineProperty(navigator, 'onLine', { get: () => false }); });
    await p2.goto(`${server.url}#/batch/${ids.hatcheryOld}`);
    await p2.locator('[data-series="actual"]').waitFor();
    await expect.poll(() => p2.getByTestId('sync-status').innerText()).toMatch(/Offline/);
    const pathBefore = await p2.locator('[data-series="actual"]').getAttribute('d');
    await p2.getByTestId('entry-panel').locator('[data-kind="sample"]').click();
    const form = p2.getByTestId('form-sample');
    await form.locator('#f-avg_weight_g').fill('180');
    await form.locator('#f-std_dev_g').fill('30');
    await form.locator('#f-sample_size').fill('40');
    await form.locator('#f-sample_size').press('Enter');
    await p2.getByTestId('saved').waitFor();
    await expect.poll(() => p2.locator('[data-series="actual"]').getAttribute('d'), { timeout: 10_000 }).not.toBe(pathBefore);
    await p2.screenshot({ path: shotPath('10-offline'), fullPage: true });
    // nothing outside this computer is reachable from the page (the CSP and the dead proxy both stop it)
    const external = await p2.evaluate(async () => { try { await fetch('http://example.com/'); return 'reached'; } catch { return 'failed'; } });
    expect(external).toBe('failed');
    await off.close();
    const foreign = [...requests, ...seen].filter((u) => !u.startsWith(server.url) && !u.startsWith(server.url.replace('http', 'ws')) && !u.startsWith('data:') && u !== 'http://example.com/');
    expect(foreign).toEqual([]);
    expect(pageErrors.filter((e) => !/Content Security Policy|example\.com|Failed to fetch/.test(e))).toEqual([]);
  });
});
