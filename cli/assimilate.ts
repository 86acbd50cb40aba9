/** `assimilate FILE [--as-of DATE] [--format json|csv]`: runs the engine on a batch document. */
import { readFileSync } from 'node:fs';
import { computeStates, prepare, type StatesDocument } from '../engine';
import { parseBatchDocument, type ReadingAggregator } from '../engine/readings';
import { csvLine } from '../backend/csv';
import { optString, UsageError, type ParsedArgs } from './args';
import { siteToday } from './today';

export const STATE_CSV_COLUMNS = [
  'assignment_id', 'container_id', 'date', 'day_number', 'stage', 'avg_weight_g', 'population', 'biomass_kg',
  'temp_c', 'deaths', 'feed_kg', 'growth_kg', 'anchor_type', 'count_deviation', 'weight_source', 'temp_source',
  'mortality_source', 'feed_source', 'weight_confidence', 'overall_confidence',
] as const;

export function statesCsv(doc: StatesDocument): string {
  const lines = [STATE_CSV_COLUMNS.join(',')];
  for (const a of doc.assignments) for (const s of a.states) {
    lines.push(csvLine([
      a.assignment_id, a.container_id, s.date, s.day_number, s.stage, s.avg_weight_g, s.population, s.biomass_kg,
      s.temp_c, s.deaths, s.feed_kg, s.growth_kg, s.anchor_type, s.count_deviation, s.sources.weight, s.sources.temp,
      s.sources.mortality, s.sources.feed, s.confidence.weight, s.confidence.overall,
    ]));
  }
  return lines.join('\n') + '\n';
}

export function runAssimilate(args: ParsedArgs, out: (s: string) => void, err: (s: string) => void): number {
  const file = args.positionals[1];
  if (!file) throw new UsageError('assimilate needs a FILE (a batch document, or - for standard input)');
  const format = optString(args, 'format') ?? 'json';
  if (format !== 'json' && format !== 'csv') throw new UsageError(`--format must be json or csv, got ${JSON.stringify(format)}`);
  const asOf = optString(args, 'as-of');
  // Peak memory matters (a 900-day batch is ~30 MB of JSON): the text and the parsed document are
  // dropped as soon as the next stage holds what it needs.
  let text: Uint8Array | null;
  try {
    text = readFileSync(file === '-' ? 0 : file);
  } catch (e) {
    err(`${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    return 2;
  }
  let doc: unknown;
  let readings: ReadingAggregator | null = null;
  try {
    ({ doc, readings } = parseBatchDocument(text!));
    text = null;
  } catch (e) {
    const errors = [{ record: 'document', field: 'format', message: `${file} is not valid JSON: ${(e as Error).message}` }];
    for (const x of errors) err(`${x.record}: ${x.field}: ${x.message}`);
    if (format === 'json') out(JSON.stringify({ errors }) + '\n');
    return 2;
  }
  const tz = typeof doc === 'object' && doc !== null ? (doc as { site?: { timezone?: string } }).site?.timezone : undefined;
  const prepared = prepare(doc, { asOf, today: siteToday(tz), readings });
  doc = null;
  const result = prepared.ok ? computeStates(prepared.prep) : prepared;
  if (!result.ok) {
    for (const x of result.errors) err(`${x.record}: ${x.field}: ${x.message}`);
    if (format === 'json') out(JSON.stringify({ errors: result.errors }, null, 1) + '\n');
    return 2;
  }
  out(format === 'json' ? JSON.stringify(result.states) + '\n' : statesCsv(result.states));
  return 0;
}
