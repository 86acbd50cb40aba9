/**
 * UI benchmarks (issue 4), measured in Chromium against `web/server.ts` and the real backend on a
 * copy of the demo site (test/e2e/harness.ts). Every time is taken inside the page with
 * `performance.now()` from the marks the renderer sets (renderer/perf.ts, `window.__aquamindPerf`),
 * and each comes with a baseline measured in the same run:
 *
 * - app start → first chart (page navigation start → the frame after the chart's first commit)
 *   vs a blank page's first frame from the same server address;
 * - first chart render of the largest batch with every container drilled down (per-container
 *   data received → paths committed → next animation frame) vs plain DOM code drawing an SVG with
 *   the same lines and points;
 * - hover → tooltip (pointer event → tooltip committed → next frame) vs one requestAnimationFrame;
 * - save a transfer → the new Actual on screen (the form's save → the frame after the reloaded
 *   Actual is committed) vs the `analysis.get` round trip alone.
 */
import type { Browser } from 'playwright-core';
import { CLOCK, findBrowser, launch, startDemoServer } from '../test/e2e/harness';
import type { BenchLine } from './engine';
import { median, ms, percentile } from './stats';

const START_RUNS = 12;
const RENDER_RUNS = 20;
const HOVER_RUNS = 60;
const SAVE_RUNS = 24;

interface PerfWindow {
  __aquamindPerf?: {
    t: Record<string, number>;
    chart: { lines: number; points: number; withContainers: boolean };
    hooks: {
      store: { getState(): Record<string, unknown> & { views: Record<string, { withAssignments: boolean; analysis: { assignments: { states: { population: number; avg_weight_g: number; date: string }[] }[] } }>; lastSaveAt: number; lastSaveDrawnAt: number }; setState(p: unknown): void };
      call(method: string, args: unknown): Promise<{ ok: boolean; value?: unknown }>;
      loadAnalysis(id: string, o?: { assignments?: boolean }): Promise<void>;
    };
  };
  __blankFrame?: number;
}

/** tsx keeps function names with a `__name` helper; functions sent to the page need it there. */
const NAME_SHIM = 'window.__name = (f) => f;';
const stat = (xs: number[]) => `median ${ms(median(xs))}, p95 ${ms(percentile(xs, 95))} (n = ${xs.length})`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;

export async function benchUi(log: (l: BenchLine) => void): Promise<void> {
  const found = findBrowser();
  if (!found.path) { log({ name: 'UI benchmarks', value: `skipped: ${found.reason}` }); return; }
  const server = await startDemoServer();
  let browser: Browser | null = null;
  try {
    const backend = await server.backend;
    const list = await backend.call('batch.list', {});
    if (!list.ok) throw new Error('batch.list failed');
    // the largest batch: the most assignments
    let sea = list.value[0]!;
    let most = -1;
    for (const bt of list.value) {
      const r = await backend.call('batch.get', { id: bt.id });
      if (r.ok && r.value.assignments.length > most) { most = r.value.assignments.length; sea = bt; }
    }
    browser = await launch(found.path);
    const batchUrl = `${server.url}#/batch/${sea.id}`;

    // ---- app start → first chart, vs a blank page load -------------------------------------
    const starts: number[] = [], blanks: number[] = [];
    for (let i = 0; i < START_RUNS + 1; i++) {
      for (const kind of i % 2 ? ['app', 'blank'] as const : ['blank', 'app'] as const) {
        const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        const page = await ctx.newPage();
        await page.route(`${server.url}/__blank.html`, (r) => r.fulfill({
          contentType: 'text/html', body: '<!doctype html><title>blank</title><script>requestAnimationFrame(() => { window.__blankFrame = performance.now(); });</script>',
        }));
        if (kind === 'app') {
          await page.goto(batchUrl);
          const t = await page.waitForFunction(() => (window as unknown as PerfWindow).__aquamindPerf?.t['first-chart-frame'], null, { timeout: 30_000 });
          if (i > 0) starts.push(Number(await t.jsonValue()));
        } else {
          await page.goto(`${server.url}/__blank.html`);
          const t = await page.waitForFunction(() => (window as unknown as PerfWindow).__blankFrame, null, { timeout: 30_000 });
          if (i > 0) blanks.push(Number(await t.jsonValue()));
        }
        await ctx.close();
      }
    }
    log({ name: 'app start → first chart (navigation → first chart frame, fresh browser context each run)', value: stat(starts), target: '≤ 2 s',
      ok: percentile(starts, 95) <= 2000, ratio: `${ratio(median(starts), median(blanks))} a blank page's first frame (${stat(blanks)})` });

    // ---- first render with every container drilled down ---------------------------------------
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await ctx.addInitScript(NAME_SHIM);
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(batchUrl);
    await page.waitForFunction((id) => (window as unknown as PerfWindow).__aquamindPerf?.hooks.store?.getState().views[id]?.withAssignments, sea.id, { timeout: 30_000 });
    await page.evaluate(() => (window as unknown as PerfWindow).__aquamindPerf!.hooks.store.setState({ drill: 'all' }));
    await page.locator('[data-series="container"]').first().waitFor();
    const lines = await page.locator('[data-series="container"]').count();

    const render: number[] = [], total: number[] = [], bare: number[] = [];
    let points = 0;
    for (let i = 0; i < RENDER_RUNS + 2; i++) {
      const r = await page.evaluate(firstRenderRun, sea.id);
      const b = await page.evaluate(bareSvgRun, sea.id);
      if (i >= 2) { render.push(r.render); total.push(r.total); bare.push(b); points = r.points; }
    }
    log({ name: `first chart render, ${lines} container lines + 3 series, ${points.toLocaleString('en-US')} points (per-container data received → frame)`,
      value: stat(render), target: '≤ 200 ms', ok: percentile(render, 95) <= 200,
      ratio: `${ratio(median(render), median(bare))} plain DOM code drawing the same paths (${stat(bare)})` });
    log({ name: '  open the batch → every container drawn (both analysis calls, parse, render)', value: stat(total) });

    // ---- hover → tooltip ------------------------------------------------------------------------
    const hover: number[] = [], hoverCommit: number[] = [], raf: number[] = [];
    for (let i = 0; i < HOVER_RUNS + 3; i++) {
      const f = 0.05 + (0.9 * ((i * 37) % HOVER_RUNS)) / HOVER_RUNS;
      const h = await page.evaluate(hoverRun, f);
      const r = await page.evaluate(rafRun);
      if (i >= 3) { hover.push(h.frame); hoverCommit.push(h.commit); raf.push(r); }
    }
    log({ name: `hover → tooltip on screen (pointer event → next frame after the tooltip commit), ${lines} container lines`,
      value: stat(hover), target: 'p95 ≤ 16 ms', ok: percentile(hover, 95) <= 16,
      ratio: `${ratio(median(hover), median(raf))} one requestAnimationFrame (${stat(raf)}); event → tooltip committed: ${stat(hoverCommit)}` });

    // ---- save a transfer → new Actual on screen --------------------------------------------
    const containers = await backend.call('container.list', {});
    if (!containers.ok) throw new Error('container.list failed');
    const active = containers.value.filter((c) => c.current?.batch_id === sea.id).sort((p, q) => q.current!.population - p.current!.population);
    const [a, b] = [active[0]!.current!, active[1]!.current!];
    await page.getByTestId('entry-panel').locator('[data-kind="transfer"]').click();
    const form = page.getByTestId('form-transfer');
    await form.waitFor();
    const save: number[] = [], backendOnly: number[] = [];
    const today = CLOCK.toISOString().slice(0, 10);
    for (let i = 0; i < SAVE_RUNS + 2; i++) {
      const [src, dst] = i % 2 ? [b, a] : [a, b];
      const date = new Date(Date.parse(today) - (2 + (i % 6)) * 86_400_000).toISOString().slice(0, 10);
      await form.locator('#f-source_assignment_id').selectOption(src.assignment_id);
      await form.locator('#f-dest_assignment_id').selectOption(dst.assignment_id);
      await form.locator('#f-date').fill(date);
      await form.locator('#f-count').fill('500');
      await form.locator('#f-measured_avg_weight_g').fill((src.avg_weight_g * (1 + 0.01 * ((i % 5) - 2))).toFixed(0));
      await form.locator('#f-measured_sample_size').fill('40');
      await page.evaluate(() => { const s = (window as unknown as PerfWindow).__aquamindPerf!; s.t['record-sent'] = 0; });
      await form.locator('#f-count').press('Enter');
      const r = await page.waitForFunction(() => {
        const p = (window as unknown as PerfWindow).__aquamindPerf!;
        const s = p.hooks.store.getState();
        const recvA = p.t['analysis-received:a'] ?? 0;
        // done: the new Actual is drawn, and the per-container reload that follows has arrived
        return s.lastSaveDrawnAt > s.lastSaveAt && recvA > s.lastSaveAt ? { drawn: s.lastSaveDrawnAt - s.lastSaveAt } : null;
      }, null, { timeout: 20_000, polling: 20 });
      const drawn = (await r.jsonValue())!.drawn;
      // let the per-container reload that follows the save draw before timing the backend call alone
      await page.waitForFunction(() => { const t = (window as unknown as PerfWindow).__aquamindPerf!.t; return (t['chart-frame:containers'] ?? 0) > (t['analysis-received:a'] ?? 0); }, null, { timeout: 20_000, polling: 20 });
      await page.waitForTimeout(300);
      const rt = await page.evaluate(roundTrip, sea.id);
      if (i >= 2) { save.push(drawn); backendOnly.push(rt.analysis); }
    }
    log({ name: `save a transfer → new Actual on screen (${sea.name}, every container drawn)`, value: stat(save), target: 'p95 ≤ 300 ms',
      ok: percentile(save, 95) <= 300, ratio: `${ratio(median(save), median(backendOnly))} the analysis.get round trip alone (${stat(backendOnly)})` });
    if (errors.length) log({ name: 'page errors during the UI benchmark', value: errors.slice(0, 3).join('; '), ok: false });
    await ctx.close();
  } finally {
    await browser?.close();
    await server.close();
  }
}

// ---- functions run inside the page (serialised with toString: no closures over Node values) ----

/** Drops the batch's cached view, opens it again with every container drilled down, and times it. */
async function firstRenderRun(batchId: string): Promise<{ render: number; total: number; points: number }> {
  const p = (window as unknown as PerfWindow).__aquamindPerf!;
  const store = p.hooks.store;
  location.hash = '#/';
  await new Promise((r) => setTimeout(r, 50));
  store.setState((s: { views: Record<string, unknown> }) => { const v = { ...s.views }; delete v[batchId]; return { views: v }; });
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  location.hash = `#/batch/${batchId}`;
  for (;;) {
    await new Promise((r) => requestAnimationFrame(r));
    const f = p.t['chart-frame:containers'] ?? 0, recv = p.t['analysis-received:a'] ?? 0;
    if (f > t0 && recv > t0 && f > recv) return { render: f - recv, total: f - t0, points: p.chart.points };
    if (performance.now() - t0 > 20_000) throw new Error('the chart did not draw every container');
  }
}

/** Plain DOM code: one SVG path per line with the same points as the chart, then the next frame. */
async function bareSvgRun(batchId: string): Promise<number> {
  const p = (window as unknown as PerfWindow).__aquamindPerf!;
  const view = p.hooks.store.getState().views[batchId]! as unknown as {
    analysis: { actual: { rows: { date: string; avg_weight_g: number | null }[] }; scenario: { date: string; avg_weight_g: number }[]; forecast: { batch: { states: { date: string; avg_weight_g: number }[] } } | null; assignments: { states: { population: number; avg_weight_g: number; date: string }[] }[] };
  };
  await new Promise((r) => requestAnimationFrame(r));
  const t0 = performance.now();
  const a = view.analysis;
  const series: [number, number][][] = [
    a.actual.rows.filter((r) => r.avg_weight_g !== null).map((r) => [Date.parse(r.date), r.avg_weight_g!]),
    a.scenario.map((r) => [Date.parse(r.date), r.avg_weight_g]),
    (a.forecast?.batch.states ?? []).map((r) => [Date.parse(r.date), r.avg_weight_g]),
    ...a.assignments.map((s) => s.states.filter((st) => st.population > 0).map((st) => [Date.parse(st.date), st.avg_weight_g] as [number, number])),
  ];
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of series) for (const [x, y] of s) { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y > 0 && y < y0) y0 = y; if (y > y1) y1 = y; }
  const W = 1100, H = 334, lx0 = Math.log(y0), lx1 = Math.log(y1);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('width', String(W + 80)); svg.setAttribute('height', String(H + 46));
  svg.style.cssText = 'position:fixed;left:0;top:0;background:#fff;z-index:9';
  for (const s of series) {
    let d = '';
    for (let i = 0; i < s.length; i++) d += `${i ? 'L' : 'M'}${((s[i]![0] - x0) / (x1 - x0) * W).toFixed(1)},${(H - (Math.log(s[i]![1]) - lx0) / (lx1 - lx0) * H).toFixed(1)}`;
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', d); path.setAttribute('fill', 'none'); path.setAttribute('stroke', '#4e79a7');
    svg.appendChild(path);
  }
  document.body.appendChild(svg);
  const t1 = await new Promise<number>((r) => requestAnimationFrame(() => r(performance.now())));
  svg.remove();
  await new Promise((r) => requestAnimationFrame(r));
  return t1 - t0;
}

/** A pointer move over the chart at fraction f of its width, until the frame after the tooltip's commit. */
async function hoverRun(f: number): Promise<{ frame: number; commit: number }> {
  const p = (window as unknown as PerfWindow).__aquamindPerf!;
  const el = document.querySelector('[data-testid="chart-hover"]')!;
  const box = el.getBoundingClientRect();
  await new Promise((r) => requestAnimationFrame(r));
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  el.dispatchEvent(new PointerEvent('pointermove', { bubbles: true, clientX: box.x + box.width * f, clientY: box.y + box.height / 2, pointerType: 'mouse', isPrimary: true }));
  for (;;) {
    await new Promise((r) => requestAnimationFrame(r));
    const c = p.t['tooltip-commit'] ?? 0, fr = p.t['tooltip-frame'] ?? 0;
    if (c > t0 && fr > c) return { frame: fr - t0, commit: c - t0 };
    if (performance.now() - t0 > 5000) throw new Error('no tooltip');
  }
}

/** The baseline: from now to the next animation frame. */
async function rafRun(): Promise<number> {
  await new Promise((r) => requestAnimationFrame(r));
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  return new Promise((r) => requestAnimationFrame(() => r(performance.now() - t0)));
}

/** The backend call alone: the batch's analysis as the UI reloads it after a save. */
async function roundTrip(batchId: string): Promise<{ analysis: number }> {
  const p = (window as unknown as PerfWindow).__aquamindPerf!;
  const g = (p.hooks.store.getState() as unknown as { granularity: string }).granularity;
  const t0 = performance.now();
  // the same arguments as the reload of the batch line after a save (renderer/store.ts)
  await p.hooks.call('analysis.get', { batch_id: batchId, granularity: g, assignments: false, fcr_windows: ['span'], forecast_assignments: false });
  return { analysis: performance.now() - t0 };
}
