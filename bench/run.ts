/**
 * `npm run bench [engine|backend|ui|sync]`: runs the benchmarks the issues name and prints a Markdown
 * table for BENCHMARKS.md. Every number comes with a baseline measured in the same run.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { benchEngine, type BenchLine } from './engine';

const lines: BenchLine[] = [];
const log = (l: BenchLine) => {
  lines.push(l);
  console.error(`${l.ok === false ? '✗' : l.ok ? '✓' : '·'} ${l.name}: ${l.value}${l.ratio ? ` (${l.ratio})` : ''}${l.target ? ` [target ${l.target}]` : ''}`);
};
const only = process.argv[2];
console.error(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; ${new Date().toISOString().slice(0, 10)}; load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
if (!only || only === 'engine') benchEngine(log);
if (!only || only === 'backend') await (await import('./backend')).benchBackend(log);
if (!only || only === 'ui') {
  const ui = await import('./ui').catch(() => null);
  if (ui) await ui.benchUi(log);
  else log({ name: 'UI benchmarks', value: 'not available (bench/ui.ts missing)' });
}
if (!only || only === 'sync') await (await import('./sync')).benchSync(log);
console.log('| measure | result | ratio / baseline | target |\n|---|---|---|---|');
for (const l of lines) console.log(`| ${l.name} | ${l.value} | ${l.ratio ?? ''} | ${l.target ? `${l.target} ${l.ok ? '✓' : '✗'}` : ''} |`);
