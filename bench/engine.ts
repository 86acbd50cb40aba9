/**
 * Engine benchmarks (issue 2) on the default demo batch (900 days, ~60 assignments, ~400,000
 * temperature readings): parse, prepare (validation, indexing, readings → daily means), compute
 * (states, batch aggregates, weekly rollups, scenario, forecast), the ratio to a bare cube-root
 * growth loop over the same assignment-days, an incremental recompute after one new growth sample
 * mid-batch, and the CLI's peak memory.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseBatchDocument, prepare, type BatchDocument } from '../engine';
import { generateDemoBatch } from '../engine/demo';
import { median, ms, timeRuns } from './stats';

export interface BenchLine { name: string; value: string; target?: string; ratio?: string; ok?: boolean }

export function benchEngine(log: (l: BenchLine) => void): void {
  const t0 = performance.now();
  let full: BatchDocument | null = generateDemoBatch({ seed: 1, days: 900 });
  const genMs = performance.now() - t0;
  let text: string | null = JSON.stringify(full);
  void text;
  const bytes = Buffer.from(text, 'utf8');
  const readings = full!.temperature_readings?.length ?? 0;
  log({ name: 'demo batch', value: `${full!.assignments.length} assignments, ${readings.toLocaleString('en-US')} readings, ${(text.length / 1e6).toFixed(1)} MB JSON, generated in ${ms(genMs)}` });

  const parse = timeRuns(() => JSON.parse(text!), 5, 1);
  log({ name: 'parse the document (JSON.parse, all readings as objects)', value: ms(median(parse)) });
  const stream = timeRuns(() => parseBatchDocument(bytes), 5, 1);
  log({ name: 'parse with readings folded into day sums while parsing (CLI path)', value: ms(median(stream)), ratio: `${(median(stream) / median(parse)).toFixed(2)}× of JSON.parse` });

  const prepRuns = timeRuns(() => prepare(full!), 5, 1);
  log({ name: 'prepare: validate, index, average 400k readings per day', value: ms(median(prepRuns)) });

  // The engine's own timings run in a fresh process holding only what the CLI and the backend hold
  // (readings as day sums), with the backend worker's young generation: this process's heap, full
  // of the raw document, would time the collector, not the engine.
  const dir = mkdtempSync(join(tmpdir(), 'aquamind-bench-'));
  const file = join(dir, 'demo.json');
  writeFileSync(file, bytes);
  full = null;
  text = null;
  const child = spawnSync(process.execPath, ['--max-semi-space-size=64', '--expose-gc', '--import', 'tsx', 'bench/engine-compute.ts', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (child.status !== 0) throw new Error(`bench/engine-compute.ts failed: ${child.stderr}`);
  for (const line of child.stdout.trim().split('\n')) if (line.startsWith('{')) log(JSON.parse(line) as BenchLine);

  // Peak memory of the CLI on the demo batch.
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, 'scripts/cli.mjs', 'assimilate', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const kb = Number((r.stderr.trim().split('\n').pop() ?? '').trim());
  const nodeBare = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '-e', '0'], { encoding: 'utf8' });
  const bareKb = Number((nodeBare.stderr.trim().split('\n').pop() ?? '').trim());
  log({ name: 'CLI peak memory (assimilate on the demo batch)', value: `${(kb / 1024).toFixed(0)} MB`, target: '≤ 200 MB', ok: kb / 1024 <= 200,
    ratio: `bare node process: ${(bareKb / 1024).toFixed(0)} MB; document JSON ${(bytes.length / 1e6).toFixed(0)} MB` });
}
