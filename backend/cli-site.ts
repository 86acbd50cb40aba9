/**
 * `cli site …` on a site database file (the lead wires cli/ to runSite):
 *   site init <db> [--demo|--empty]      create the database (demo site by default)
 *   site import <db> <batch.json> [--prefix P]   import a batch document as recorded events
 *   site recompute <db> [--full]         recompute dirty (or all) batches; prints the status
 *   site export <db> <batch_id> [--weekly] [--assignment ID]   CSV of the Actual series
 *   site dump <db> <batch_id>            the batch document (JSON) built from the database
 *   site import-csv <db> <file.csv> --kind temperature|feed --map col=field,... [--delimiter ,|;|tab] [--dry-run]
 *                                        import temperature readings or feeding logs from CSV; bad
 *                                        rows are listed (row, column, reason) and not written
 * Exit codes: 0 ok, 1 usage, 2 bad input / engine errors.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createBackend, type Backend } from './core';
import { importBatchDocument } from './import-doc';
import { buildBatchDocument } from './recompute/batch-document';
import { ApiFailure } from './handlers/context';

interface Out { write(s: string): unknown }

const USAGE = `usage: site init <db> [--demo|--empty]
       site import <db> <batch.json> [--prefix P]
       site recompute <db> [--full]
       site export <db> <batch_id> [--weekly] [--assignment ID]
       site dump <db> <batch_id>
       site import-csv <db> <file.csv> --kind temperature|feed --map col=field,... [--delimiter ,|;|tab] [--dry-run]
         temperature fields: container_id|container_name, timestamp|date, value[, parameter]
         feed fields: date, container_id|assignment_id, kg[, batch_id]
`;

function flag(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i >= 0) { args.splice(i, 1); return true; }
  return false;
}
function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0 && i + 1 < args.length) { const v = args[i + 1]; args.splice(i, 2); return v; }
  return undefined;
}

export async function runSite(argv: string[], out: Out, err: Out): Promise<number> {
  const args = [...argv];
  if (args[0] === 'site') args.shift();
  const cmd = args.shift();
  const db = args.shift();
  if (!cmd || !db) { err.write(USAGE); return 1; }
  const open = (init: 'demo' | 'empty' | 'none' = 'none') => createBackend({ dbPath: db, actor: `cli:${process.env.USER ?? 'user'}`, recompute: 'sync', init });
  let be: Backend | null = null;
  try {
    switch (cmd) {
      case 'init': {
        const empty = flag(args, '--empty');
        flag(args, '--demo');
        if (existsSync(db)) { err.write(`${db} already exists\n`); return 1; }
        be = await open(empty ? 'empty' : 'demo');
        await be.idle();
        const list = await be.call('batch.list', {});
        out.write(`created ${db}: ${list.ok ? list.value.length : 0} batches\n`);
        return 0;
      }
      case 'import': {
        const file = args.shift();
        const prefix = option(args, '--prefix');
        if (!file) { err.write(USAGE); return 1; }
        be = await open(existsSync(db) ? 'none' : 'empty');
        const doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
        const r = importBatchDocument(be.ctx, doc, { idPrefix: prefix, onProgress: (p) => err.write(`${p.phase} ${p.done}/${p.total}\n`) });
        await be.idle();
        const errors = be.ctx.db.prepare('SELECT record, field, message FROM batch_errors WHERE batch_id = ?').all(r.batch_id) as { record: string; field: string; message: string }[];
        for (const e of errors) err.write(`${e.record}: ${e.field}: ${e.message}\n`);
        out.write(`imported batch ${r.batch_id}: ${r.events} events\n`);
        return errors.length ? 2 : 0;
      }
      case 'recompute': {
        be = await open();
        const r = await be.call('recompute.run', { full: flag(args, '--full') });
        if (!r.ok) { err.write(`${r.error.message}\n`); return 2; }
        for (const e of r.value.errors) err.write(`${e.batch_id} ${e.record}: ${e.field}: ${e.message}\n`);
        out.write(`${JSON.stringify(r.value)}\n`);
        return r.value.errors.length ? 2 : 0;
      }
      case 'export': {
        const batchId = args.shift();
        const weekly = flag(args, '--weekly');
        const assignment = option(args, '--assignment');
        if (!batchId) { err.write(USAGE); return 1; }
        be = await open();
        await be.idle();
        const r = await be.call('export.actual', { batch_id: batchId, granularity: weekly ? 'weekly' : 'daily', ...(assignment !== undefined ? { assignment_id: assignment } : {}) });
        if (!r.ok) { err.write(`${r.error.field ? `${r.error.field}: ` : ''}${r.error.message}\n`); return 2; }
        out.write(r.value.csv);
        return 0;
      }
      case 'import-csv': {
        const file = args.shift();
        const kind = option(args, '--kind');
        const mapArg = option(args, '--map');
        const delimArg = option(args, '--delimiter');
        const dry = flag(args, '--dry-run');
        if (!file || (kind !== 'temperature' && kind !== 'feed') || !mapArg) { err.write(USAGE); return 1; }
        const map: Record<string, string> = {};
        for (const part of mapArg.split(',')) {
          const eq = part.lastIndexOf('=');
          if (eq <= 0) { err.write(`--map takes column=field pairs separated by commas, got ${JSON.stringify(part)}\n`); return 1; }
          map[part.slice(eq + 1).trim()] = part.slice(0, eq).trim();
        }
        const d = delimArg === 'tab' || delimArg === '\\t' ? '\t' : delimArg;
        if (d !== undefined && d !== ',' && d !== ';' && d !== '\t') { err.write('--delimiter is , ; or tab\n'); return 1; }
        const delimiter: ',' | ';' | '\t' | undefined = d;
        be = await open();
        const csv = readFileSync(file, 'utf8');
        const common = { kind, csv, map, ...(delimiter ? { delimiter } : {}) } as const;
        const stop = be.on('import.progress', (p) => err.write(`${p.phase} ${p.done}/${p.total}\n`));
        const r = dry ? await be.call('import.preview', { ...common, rows: 0 }) : await be.call('import.commit', common);
        stop();
        if (!r.ok) { err.write(`${r.error.field ? `${r.error.field}: ` : ''}${r.error.message}\n`); return 2; }
        for (const p of r.value.problems) err.write(`row ${p.row}${p.column ? `, column ${JSON.stringify(p.column)}` : ''}: ${p.message}\n`);
        const v = r.value;
        const bad = v.bad_rows;
        if ('committed_rows' in v) out.write(`imported ${v.committed_rows} of ${v.total_rows} rows (${bad} bad, ${v.skipped_rows} skipped) as ${v.events} events; batches recomputed: ${v.batch_ids.join(', ') || 'none'}\n`);
        else out.write(`dry run: ${v.good_rows} of ${v.total_rows} rows would be imported (${bad} bad, ${v.skipped_rows} skipped)\n`);
        return bad > 0 ? 2 : 0;
      }
      case 'dump': {
        const batchId = args.shift();
        if (!batchId) { err.write(USAGE); return 1; }
        be = await open();
        const doc = buildBatchDocument(be.ctx.db, batchId, { asOf: be.ctx.today() });
        if (!doc) { err.write(`unknown batch ${batchId}\n`); return 2; }
        out.write(`${JSON.stringify(doc, null, 1)}\n`);
        return 0;
      }
      default:
        err.write(USAGE);
        return 1;
    }
  } catch (e) {
    if (e instanceof ApiFailure) { err.write(`${e.error.field ? `${e.error.field}: ` : ''}${e.error.message}\n`); return 2; }
    err.write(`${(e as Error).message}\n`);
    return 2;
  } finally {
    await be?.close();
  }
}
