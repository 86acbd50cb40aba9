/**
 * CSV import of temperature readings and feeding logs (issue 3).
 *
 * - `parseCsv` (pure): RFC 4180 (quoted fields, "" escapes, CRLF or LF, line breaks inside quotes),
 *   a UTF-8 byte-order mark dropped, the delimiter sniffed among , ; and tab from the header line
 *   unless given, the first record is the header. Row numbers are as a spreadsheet shows them:
 *   the header is row 1, the first data row is row 2.
 * - `mapRows` (pure, given a `CsvLookup`): the user's column mapping (field → column name) turns
 *   each row into a record, with every problem named by row, column and reason. Temperatures:
 *   `{ container_id | container_name, timestamp | date, value }` and optionally `parameter` (rows
 *   whose parameter is not a temperature name, case-insensitive — "Temperature", "temp", … — are
 *   skipped, not errors). Feed: `{ date, container_id | assignment_id, kg }`, optionally `batch_id`.
 *   Numbers take a decimal point or a decimal comma; timestamps are ISO 8601 (a space for the T is
 *   fine; without an offset they are site-local), a date alone is a reading at site-local noon;
 *   dates also as DD.MM.YYYY.
 * - `previewCsv` / `commitCsv` (database): the first N rows mapped with their problems; or every
 *   good row written in ONE transaction as events (readings as `temperature_log` events of up to
 *   5,000 readings per container, feed as `feed.recorded` events), bad rows listed, then the
 *   recompute.
 */
import type { CsvImportArgs, CsvImportKind, CsvPreview, CsvCommitResult, CsvProblem, CsvMappedRow } from './api/contract';
import { fail, type Ctx, type WriteEvent } from './handlers/context';
import { TEMPERATURE_LOG } from './kinds';
import { addDaysIso, isIsoDate } from './time';

// ---------------------------------------------------------------------------------------------
// Parsing

export type Delimiter = ',' | ';' | '\t';
export interface CsvRecord { row: number; cells: string[] }
export interface ParsedCsv { delimiter: Delimiter; header: string[]; records: CsvRecord[] }

const DELIMITERS: Delimiter[] = [',', ';', '\t'];

/** The delimiter that splits the header line (outside quotes) into the most columns; ties: , before ; before tab. */
export function sniffDelimiter(text: string): Delimiter {
  let end = 0, inQ = false;
  for (; end < text.length; end++) {
    const c = text[end];
    if (c === '"') inQ = !inQ;
    else if (!inQ && (c === '\n' || c === '\r')) break;
  }
  const line = text.slice(0, end);
  let best: Delimiter = ',', bestN = 0;
  for (const d of DELIMITERS) {
    let n = 0; inQ = false;
    for (const c of line) { if (c === '"') inQ = !inQ; else if (!inQ && c === d) n++; }
    if (n > bestN) { best = d; bestN = n; }
  }
  return best;
}

/** RFC 4180 records. Blank lines are skipped (their row numbers still count). */
export function parseCsv(input: string, delimiter?: Delimiter): ParsedCsv {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const d = delimiter ?? sniffDelimiter(text);
  const all: CsvRecord[] = [];
  let row = 1;
  let cells: string[] = [];
  let cell = '';
  let startRow = 1;
  let quoted = false; // inside quotes
  let wasQuoted = false; // this cell had quotes (so an empty cell is a value)
  const endCell = () => { cells.push(cell); cell = ''; wasQuoted = false; };
  const endRecord = () => {
    endCell();
    if (!(cells.length === 1 && cells[0] === '' )) all.push({ row: startRow, cells });
    cells = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { cell += '"'; i++; } else quoted = false;
      } else {
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) row++;
        cell += c;
      }
      continue;
    }
    if (c === '"' && cell === '' && !wasQuoted) { quoted = true; wasQuoted = true; continue; }
    if (c === d) { endCell(); continue; }
    if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      row++;
      startRow = row;
      continue;
    }
    cell += c;
  }
  if (quoted) throw new Error(`row ${startRow}: a quoted field is not closed`);
  if (cell !== '' || cells.length > 0 || wasQuoted) endRecord();
  const [head, ...records] = all;
  return { delimiter: d, header: (head?.cells ?? []).map((h) => h.trim()), records };
}

// ---------------------------------------------------------------------------------------------
// Mapping

export const TEMPERATURE_FIELDS = ['container_id', 'container_name', 'timestamp', 'date', 'value', 'parameter'] as const;
export const FEED_FIELDS = ['date', 'container_id', 'assignment_id', 'batch_id', 'kg'] as const;
export type CsvMapping = Partial<Record<(typeof TEMPERATURE_FIELDS)[number] | (typeof FEED_FIELDS)[number], string>>;

/** Parameter names that mean a water temperature (compared case-insensitively, trimmed). */
export const TEMPERATURE_PARAMETERS = ['temperature', 'temp', 'temp.', 'water temperature', 'water temp', 'watertemp', 'temperature (°c)', 'temp (°c)', 'temperatur', 'vatnshiti', 'sjøtemperatur', 'sea temperature', 't'];

/** What mapping needs to know about the site: supplied from the database, or by a test. */
export interface CsvLookup {
  today: string;
  /** Container id by id (live containers). */
  containerById(id: string): { id: string } | undefined;
  /** Live containers with this name (trimmed, case-insensitive). */
  containersByName(name: string): { id: string }[];
  assignment(id: string): { id: string; batch_id: string; container_id: string } | undefined;
  batch(id: string): { id: string; start_date: string } | undefined;
  /** Whether the assignment has fish on the date (start or end of day), as the API checks a feed record. */
  hasFish(assignmentId: string, date: string): boolean;
  /** Batches with an assignment in the container holding fish on the date (or, failing that, any assignment in it). */
  batchesInContainer(containerId: string, date: string): string[];
}

export type MappedRecord =
  | { kind: 'temperature'; row: number; container_id: string; timestamp: string; value: number }
  | { kind: 'feed'; row: number; batch_id: string; date: string; assignment_id?: string; container_id?: string; kg: number };

export interface MapResult {
  header: string[]; delimiter: Delimiter; total: number;
  good: MappedRecord[]; problems: CsvProblem[]; badRows: number; skipped: number;
  /** Per row in file order: its values and problems (for the preview). */
  rows: CsvMappedRow[];
}

const NUM_RE = /^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/;
export function parseNumber(s: string): number | null {
  const t = s.trim().replace(/\u00a0|\s/g, '');
  if (!NUM_RE.test(t)) return null;
  const n = Number(t.replace(',', '.'));
  return Number.isFinite(n) ? n : null;
}

const TS_RE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$/;
const DMY_RE = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

/** A date YYYY-MM-DD from YYYY-MM-DD or DD.MM.YYYY; null otherwise. */
export function parseDate(s: string): string | null {
  const t = s.trim();
  if (isIsoDate(t)) return t;
  const m = DMY_RE.exec(t);
  if (m && m[4] === undefined) {
    const iso = `${m[3]}-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
    return isIsoDate(iso) ? iso : null;
  }
  return null;
}

/** An ISO 8601 timestamp the API accepts; a date alone is site-local noon. */
export function parseTimestamp(s: string): string | null {
  const t = s.trim();
  const m = TS_RE.exec(t);
  if (m) {
    if (!isIsoDate(m[1]!) || Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4] ?? 0) > 59) return null;
    const zone = m[6] === 'z' ? 'Z' : m[6] ?? '';
    return `${m[1]}T${m[2]}:${m[3]}:${m[4] ?? '00'}${m[5] ?? ''}${zone}`;
  }
  const dmy = DMY_RE.exec(t);
  if (dmy) {
    const iso = `${dmy[3]}-${dmy[2]!.padStart(2, '0')}-${dmy[1]!.padStart(2, '0')}`;
    if (!isIsoDate(iso)) return null;
    if (dmy[4] === undefined) return `${iso}T12:00:00`;
    if (Number(dmy[4]) > 23 || Number(dmy[5]) > 59 || Number(dmy[6] ?? 0) > 59) return null;
    return `${iso}T${dmy[4].padStart(2, '0')}:${dmy[5]}:${dmy[6] ?? '00'}`;
  }
  const d = parseDate(t);
  return d ? `${d}T12:00:00` : null;
}

/** Checks the mapping against the kind's fields and the header; throws an ApiFailure naming the problem. */
export function checkMapping(kind: CsvImportKind, map: CsvMapping, header: string[]): void {
  const fields: readonly string[] = kind === 'temperature' ? TEMPERATURE_FIELDS : FEED_FIELDS;
  for (const [f, col] of Object.entries(map)) {
    if (col === undefined) continue;
    if (!fields.includes(f)) fail('invalid', `map.${f}`, `${f} is not a field of a ${kind} import (fields: ${fields.join(', ')})`);
    if (!header.includes(col)) fail('invalid', `map.${f}`, `the file has no column ${JSON.stringify(col)} (columns: ${header.map((h) => JSON.stringify(h)).join(', ')})`);
  }
  const one = (a: string, b: string) => {
    const has = [a, b].filter((f) => map[f as keyof CsvMapping] !== undefined);
    if (has.length !== 1) fail('invalid', `map.${a}`, `map exactly one of ${a} and ${b} to a column`);
  };
  if (kind === 'temperature') {
    one('container_id', 'container_name');
    one('timestamp', 'date');
    if (map.value === undefined) fail('invalid', 'map.value', 'map value to a column');
  } else {
    one('container_id', 'assignment_id');
    if (map.date === undefined) fail('invalid', 'map.date', 'map date to a column');
    if (map.kg === undefined) fail('invalid', 'map.kg', 'map kg to a column');
  }
}

/** Maps and validates every record. Pure given the lookup. */
export function mapRows(kind: CsvImportKind, parsed: ParsedCsv, map: CsvMapping, lookup: CsvLookup, opts: { parameterNames?: string[]; onProgress?: (done: number, total: number) => void; progressEvery?: number } = {}): MapResult {
  checkMapping(kind, map, parsed.header);
  const col = (f: keyof CsvMapping) => (map[f] === undefined ? -1 : parsed.header.indexOf(map[f]!));
  const names = new Set((opts.parameterNames ?? TEMPERATURE_PARAMETERS).map((n) => n.trim().toLowerCase()));
  const out: MapResult = { header: parsed.header, delimiter: parsed.delimiter, total: parsed.records.length, good: [], problems: [], badRows: 0, skipped: 0, rows: [] };
  const every = opts.progressEvery ?? 10_000;
  const idx = Object.fromEntries([...TEMPERATURE_FIELDS, ...FEED_FIELDS].map((f) => [f, col(f)])) as Record<keyof CsvMapping, number>;

  parsed.records.forEach((rec, i) => {
    if (opts.onProgress && i > 0 && i % every === 0) opts.onProgress(i, parsed.records.length);
    const problems: CsvProblem[] = [];
    const values: Record<string, unknown> = {};
    const cell = (f: keyof CsvMapping): string | undefined => (idx[f] >= 0 ? rec.cells[idx[f]] : undefined);
    const bad = (f: keyof CsvMapping, message: string) => problems.push({ row: rec.row, column: map[f] ?? f, field: f, message });
    if (rec.cells.length !== parsed.header.length) problems.push({ row: rec.row, message: `the row has ${rec.cells.length} cells, the header ${parsed.header.length}` });

    if (kind === 'temperature') {
      if (idx.parameter >= 0) {
        const p = (cell('parameter') ?? '').trim().toLowerCase();
        if (!names.has(p)) { out.skipped++; return; }
      }
      let cid: string | undefined;
      if (idx.container_id >= 0) {
        const v = (cell('container_id') ?? '').trim();
        if (!v) bad('container_id', 'the container is missing');
        else if (!lookup.containerById(v)) bad('container_id', `unknown container ${JSON.stringify(v)}`);
        else cid = v;
      } else {
        const v = (cell('container_name') ?? '').trim();
        const cs = v ? lookup.containersByName(v) : [];
        if (!v) bad('container_name', 'the container is missing');
        else if (cs.length === 0) bad('container_name', `no container is named ${JSON.stringify(v)}`);
        else if (cs.length > 1) bad('container_name', `${cs.length} containers are named ${JSON.stringify(v)}: map container_id instead`);
        else cid = cs[0]!.id;
      }
      const tf = idx.timestamp >= 0 ? 'timestamp' : 'date';
      const rawTs = (cell(tf) ?? '').trim();
      const ts = rawTs ? parseTimestamp(rawTs) : null;
      if (!rawTs) bad(tf, `the ${tf} is missing`);
      else if (!ts) bad(tf, `${JSON.stringify(rawTs)} is not a timestamp like 2024-01-11T08:00:00+00:00 (or a date YYYY-MM-DD)`);
      else if (ts.slice(0, 10) > lookup.today) bad(tf, `${rawTs} is in the future (after the site's today ${lookup.today})`);
      const rawV = (cell('value') ?? '').trim();
      const v = parseNumber(rawV);
      if (!rawV) bad('value', 'the value is missing');
      else if (v === null) bad('value', `${JSON.stringify(rawV)} is not a number`);
      else if (v < -3 || v > 40) bad('value', `${v} °C is outside −3…40 °C`);
      values.container_id = cid ?? null; values.timestamp = ts; values.value = v;
      if (problems.length === 0) out.good.push({ kind: 'temperature', row: rec.row, container_id: cid!, timestamp: ts!, value: v! });
    } else {
      const rawD = (cell('date') ?? '').trim();
      const date = rawD ? parseDate(rawD) : null;
      if (!rawD) bad('date', 'the date is missing');
      else if (!date) bad('date', `${JSON.stringify(rawD)} is not a date YYYY-MM-DD`);
      else if (date > lookup.today) bad('date', `${date} is in the future (after the site's today ${lookup.today})`);
      const rawKg = (cell('kg') ?? '').trim();
      const kg = parseNumber(rawKg);
      if (!rawKg) bad('kg', 'kg is missing');
      else if (kg === null) bad('kg', `${JSON.stringify(rawKg)} is not a number`);
      else if (kg < 0 || kg > 1e7) bad('kg', `${kg} kg is outside 0…10,000,000 kg`);
      const rawBatch = idx.batch_id >= 0 ? (cell('batch_id') ?? '').trim() : '';
      let batchId: string | undefined;
      if (rawBatch) {
        if (!lookup.batch(rawBatch)) bad('batch_id', `unknown batch ${JSON.stringify(rawBatch)}`);
        else batchId = rawBatch;
      }
      let aid: string | undefined, cid: string | undefined;
      if (idx.assignment_id >= 0) {
        const v = (cell('assignment_id') ?? '').trim();
        const a = v ? lookup.assignment(v) : undefined;
        if (!v) bad('assignment_id', 'the assignment is missing');
        else if (!a) bad('assignment_id', `unknown assignment ${JSON.stringify(v)}`);
        else if (batchId && a.batch_id !== batchId) bad('assignment_id', `assignment ${v} belongs to batch ${a.batch_id}, not ${batchId}`);
        else if (date && !lookup.hasFish(v, date)) bad('assignment_id', `assignment ${v} has no fish on ${date}`);
        else { aid = v; batchId = a.batch_id; }
      } else {
        const v = (cell('container_id') ?? '').trim();
        if (!v) bad('container_id', 'the container is missing');
        else if (!lookup.containerById(v)) bad('container_id', `unknown container ${JSON.stringify(v)}`);
        else {
          cid = v;
          if (!batchId && date) {
            const bs = lookup.batchesInContainer(v, date);
            if (bs.length === 0) bad('container_id', `no batch is in container ${v} on ${date}: map batch_id too`);
            else if (bs.length > 1) bad('container_id', `${bs.length} batches are in container ${v} on ${date} (${bs.join(', ')}): map batch_id too`);
            else batchId = bs[0];
          }
        }
      }
      if (batchId && date) {
        const b = lookup.batch(batchId);
        if (b && date < b.start_date) bad('date', `${date} is before the start of batch ${batchId} (${b.start_date})`);
      }
      values.date = date; values.kg = kg; values.batch_id = batchId ?? null;
      if (aid) values.assignment_id = aid; else values.container_id = cid ?? null;
      if (problems.length === 0) out.good.push({ kind: 'feed', row: rec.row, batch_id: batchId!, date: date!, kg: kg!, ...(aid ? { assignment_id: aid } : { container_id: cid! }) });
    }
    if (problems.length > 0) { out.badRows++; for (const p of problems) out.problems.push(p); }
    out.rows.push({ row: rec.row, values, problems });
  });
  opts.onProgress?.(parsed.records.length, parsed.records.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Against the database

export function dbLookup(ctx: Ctx): CsvLookup {
  const db = ctx.db;
  const byId = db.prepare('SELECT id FROM containers WHERE id = ? AND voided = 0');
  const byName = db.prepare('SELECT id FROM containers WHERE lower(trim(name)) = lower(?) AND voided = 0 ORDER BY id');
  const asg = db.prepare('SELECT id, batch_id, container_id FROM assignments WHERE id = ? AND voided = 0');
  const batch = db.prepare('SELECT id, start_date FROM batches WHERE id = ? AND voided = 0');
  const withFish = db.prepare(`SELECT DISTINCT s.batch_id FROM assignment_states s JOIN assignments a ON a.id = s.assignment_id AND a.voided = 0
    WHERE s.container_id = ? AND s.date IN (?, ?) AND s.population > 0 ORDER BY s.batch_id`);
  const anyIn = db.prepare(`SELECT DISTINCT a.batch_id FROM assignments a JOIN batches b ON b.id = a.batch_id AND b.voided = 0
    WHERE a.container_id = ? AND a.voided = 0 AND b.start_date <= ? ORDER BY a.batch_id`);
  const fishOn = db.prepare('SELECT MAX(population) AS n FROM assignment_states WHERE assignment_id = ? AND date IN (?, ?)');
  const memo = <T>(f: (k: string) => T) => { const m = new Map<string, T>(); return (k: string) => { if (!m.has(k)) m.set(k, f(k)); return m.get(k)!; }; };
  return {
    today: ctx.today(),
    containerById: memo((id) => byId.get(id) as { id: string } | undefined),
    containersByName: memo((n) => byName.all(n.trim()) as { id: string }[]),
    assignment: memo((id) => asg.get(id) as { id: string; batch_id: string; container_id: string } | undefined),
    batch: memo((id) => batch.get(id) as { id: string; start_date: string } | undefined),
    hasFish: (aid, date) => ((fishOn.get(aid, addDaysIso(date, -1), date) as { n: number | null }).n ?? 0) > 0,
    batchesInContainer: (cid, date) => {
      const fish = (withFish.all(cid, addDaysIso(date, -1), date) as { batch_id: string }[]).map((r) => r.batch_id);
      return fish.length > 0 ? fish : (anyIn.all(cid, date) as { batch_id: string }[]).map((r) => r.batch_id);
    },
  };
}

const READINGS_PER_EVENT = 5000;
const MAX_PROBLEMS = 1000;

function mapFor(ctx: Ctx, a: CsvImportArgs, onProgress?: (done: number, total: number) => void): MapResult {
  let parsed: ParsedCsv;
  try { parsed = parseCsv(a.csv, a.delimiter); } catch (e) { fail('invalid', 'csv', `the file is not CSV: ${(e as Error).message}`); }
  if (parsed.header.length === 0) fail('invalid', 'csv', 'the file is empty: a header row is needed');
  return mapRows(a.kind, parsed, a.map as CsvMapping, dbLookup(ctx), { parameterNames: a.parameter_names, onProgress, progressEvery: a.progress_every });
}

export function previewCsv(ctx: Ctx, a: CsvImportArgs & { rows?: number }): CsvPreview {
  const r = mapFor(ctx, a);
  return {
    kind: a.kind, delimiter: r.delimiter, header: r.header, total_rows: r.total, good_rows: r.good.length, bad_rows: r.badRows, skipped_rows: r.skipped,
    rows: r.rows.slice(0, a.rows ?? 20), problems: r.problems.slice(0, MAX_PROBLEMS),
  };
}

export interface CommitHooks { onProgress?: (p: { phase: 'validate' | 'write' | 'recompute'; done: number; total: number }) => void }

export async function commitCsv(ctx: Ctx, a: CsvImportArgs, hooks: CommitHooks = {}): Promise<CsvCommitResult> {
  const progress = hooks.onProgress;
  const r = mapFor(ctx, a, progress ? (done, total) => progress({ phase: 'validate', done, total }) : undefined);
  const events: WriteEvent[] = [];
  if (a.kind === 'temperature') {
    const byContainer = new Map<string, { timestamp: string; value: number }[]>();
    for (const g of r.good) {
      if (g.kind !== 'temperature') continue;
      let l = byContainer.get(g.container_id);
      if (!l) byContainer.set(g.container_id, (l = []));
      l.push({ timestamp: g.timestamp, value: g.value });
    }
    for (const [cid, rs] of byContainer) {
      for (let i = 0; i < rs.length; i += READINGS_PER_EVENT) {
        const chunk = rs.slice(i, i + READINGS_PER_EVENT);
        events.push({ entityType: TEMPERATURE_LOG, entityId: ctx.uuid(), kind: 'recorded', occurredAt: chunk[0]!.timestamp, payload: { container_id: cid, readings: chunk, source: 'csv' } });
      }
    }
  } else {
    for (const g of r.good) {
      if (g.kind !== 'feed') continue;
      const payload: Record<string, unknown> = { batch_id: g.batch_id, date: g.date, kg: g.kg };
      if (g.assignment_id) payload.assignment_id = g.assignment_id; else payload.container_id = g.container_id;
      events.push({ entityType: 'feed', entityId: ctx.uuid(), kind: 'recorded', occurredAt: g.date, payload });
    }
  }
  progress?.({ phase: 'write', done: 0, total: r.good.length });
  const w = events.length > 0 ? ctx.write(events) : { events: [], batchIds: [] as string[] };
  progress?.({ phase: 'write', done: r.good.length, total: r.good.length });
  progress?.({ phase: 'recompute', done: 0, total: w.batchIds.length });
  await ctx.ensureFresh();
  progress?.({ phase: 'recompute', done: w.batchIds.length, total: w.batchIds.length });
  return {
    kind: a.kind, total_rows: r.total, committed_rows: r.good.length, bad_rows: r.badRows, skipped_rows: r.skipped,
    events: w.events.length, batch_ids: w.batchIds, problems: r.problems.slice(0, MAX_PROBLEMS),
  };
}
