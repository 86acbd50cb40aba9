/** CSV import (preview, commit) and the Actual series as CSV. */
import type { CsvImportArgs, ExportActual, ExportActualArgs } from '../api/contract';
import { csvLine } from '../csv';
import { commitCsv, previewCsv } from '../csv-import';
import { exists, fail, type Ctx, type HandlerMap } from './context';

type Row = Record<string, unknown>;

const WEEK_COLS = ['week_start', 'week_end', 'avg_weight_g', 'population', 'biomass_kg', 'feed_kg', 'growth_kg', 'deaths'] as const;
const BATCH_DAY_COLS = ['date', 'day_number', 'avg_weight_g', 'population', 'biomass_kg', 'container_count', 'feed_kg', 'growth_kg', 'deaths'] as const;
/** Export column ← assignment_states column. */
const ASSIGNMENT_DAY_COLS: [string, string][] = [
  ['date', 'date'], ['day_number', 'day_number'], ['stage', 'stage'], ['avg_weight_g', 'avg_weight_g'], ['population', 'population'],
  ['biomass_kg', 'biomass_kg'], ['temp_c', 'temp_c'], ['deaths', 'deaths'], ['feed_kg', 'feed_kg'], ['growth_kg', 'growth_kg'],
  ['anchor_type', 'anchor_type'], ['count_deviation', 'count_deviation'], ['weight_source', 'src_weight'], ['temp_source', 'src_temp'],
  ['mortality_source', 'src_mortality'], ['feed_source', 'src_feed'], ['confidence_weight', 'conf_weight'], ['confidence_temp', 'conf_temp'],
  ['confidence_mortality', 'conf_mortality'], ['confidence_feed', 'conf_feed'], ['confidence', 'conf_overall'],
];

function toCsv(columns: readonly string[], rows: Row[]): string {
  const lines = [csvLine([...columns])];
  for (const r of rows) lines.push(csvLine(columns.map((c) => r[c])));
  return `${lines.join('\n')}\n`;
}

export async function exportActual(ctx: Ctx, a: ExportActualArgs): Promise<ExportActual> {
  const b = exists(ctx.db, 'batches', a.batch_id);
  if (!b) fail('not_found', 'batch_id', `unknown batch ${JSON.stringify(a.batch_id)}`);
  if (a.assignment_id !== undefined) {
    const asg = exists(ctx.db, 'assignments', a.assignment_id);
    if (!asg || asg.batch_id !== a.batch_id) fail('not_found', 'assignment_id', `unknown assignment ${JSON.stringify(a.assignment_id)} in batch ${a.batch_id}`);
  }
  await ctx.ensureFresh(a.batch_id);
  const from = a.from ?? '0000-01-01', to = a.to ?? '9999-12-31';
  if (from > to) fail('invalid', 'from', `from ${from} is after to ${to}`);
  let columns: readonly string[];
  let rows: Row[];
  if ((a.granularity ?? 'daily') === 'weekly') {
    const part = ctx.db.prepare("SELECT json FROM batch_output_parts WHERE batch_id = ? AND part = 'weekly' AND key = ?").get(a.batch_id, a.assignment_id ?? '') as { json: string } | undefined;
    const weeks = part ? JSON.parse(part.json) as Row[] : [];
    columns = WEEK_COLS;
    rows = weeks.filter((w) => (w.week_end as string) >= from && (w.week_start as string) <= to);
  } else if (a.assignment_id !== undefined) {
    columns = ASSIGNMENT_DAY_COLS.map(([c]) => c);
    rows = (ctx.db.prepare('SELECT * FROM assignment_states WHERE assignment_id = ? AND date >= ? AND date <= ? ORDER BY date').all(a.assignment_id, from, to) as Row[])
      .map((r) => Object.fromEntries(ASSIGNMENT_DAY_COLS.map(([c, s]) => [c, r[s]])));
  } else {
    columns = BATCH_DAY_COLS;
    rows = ctx.db.prepare('SELECT * FROM batch_states WHERE batch_id = ? AND date >= ? AND date <= ? ORDER BY date').all(a.batch_id, from, to) as Row[];
  }
  return { columns: [...columns], rows: rows.length, csv: toCsv(columns, rows) };
}

export const csvHandlers: HandlerMap = {
  'import.preview': (a: CsvImportArgs & { rows?: number }, ctx) => { ctx.siteId(); return previewCsv(ctx, a); },
  'import.commit': (a: CsvImportArgs, ctx) => {
    ctx.siteId();
    return commitCsv(ctx, a, { onProgress: (p) => ctx.emit('import.progress', p) });
  },
  'export.actual': (a: ExportActualArgs, ctx) => exportActual(ctx, a),
};
