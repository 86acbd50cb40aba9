/** `npm run bench`: runs the benchmarks and prints a Markdown table to paste into BENCHMARKS.md. */
import { cpus, totalmem } from 'node:os';
import { benchEngine, type BenchLine } from './engine';

const lines: BenchLine[] = [];
const log = (l: BenchLine) => {
  lines.push(l);
  console.error(`${l.ok === false ? '✗' : l.ok ? '✓' : '·'} ${l.name}: ${l.value}${l.ratio ? ` (${l.ratio})` : ''}${l.target ? ` [target ${l.target}]` : ''}`);
};
const only = process.argv[2];
console.error(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; ${new Date().toISOString().slice(0, 10)}`);
if (!only || only === 'engine') benchEngine(log);
console.log('| measure | result | ratio / baseline | target |\n|---|---|---|---|');
for (const l of lines) console.log(`| ${l.name} | ${l.value} | ${l.ratio ?? ''} | ${l.target ? `${l.target} ${l.ok ? '✓' : '✗'}` : ''} |`);
