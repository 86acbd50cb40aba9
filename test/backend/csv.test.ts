import { describe, expect, it } from 'vitest';
import { parseCsv, sniffDelimiter, mapRows, parseNumber, parseTimestamp, type CsvLookup } from '../../backend/csv-import';
import { verifyBatch } from '../../backend/recompute/verify';
import { buildBatchDocument } from '../../backend/recompute/batch-document';
import { assimilate } from '../../engine/index';
import { must, openBackend, seedSmallSite } from './helpers';

const lookup: CsvLookup = {
  today: '2025-06-30',
  containerById: (id) => (['P1', 'P2'].includes(id) ? { id } : undefined),
  containersByName: (n) => ({ 'pen 1': [{ id: 'P1' }], 'pen 2': [{ id: 'P2' }], twin: [{ id: 'P1' }, { id: 'P2' }] } as Record<string, { id: string }[]>)[n.toLowerCase()] ?? [],
  assignment: (id) => (id === 'A1' ? { id, batch_id: 'B1', container_id: 'P1' } : undefined),
  batch: (id) => (id === 'B1' ? { id, start_date: '2025-01-01' } : undefined),
  hasFish: (aid) => aid === 'A1',
  batchesInContainer: (cid) => (cid === 'P1' ? ['B1'] : []),
};

describe('CSV parsing (RFC 4180)', () => {
  it('quotes, escaped quotes, line breaks inside quotes, CRLF, BOM; row numbers as a spreadsheet shows them', () => {
    const text = '\ufeffname,note,value\r\n"Pen 1","said ""hi""",1\r\nPen 2,"two\nlines",2\r\n\r\nlast,,3';
    const p = parseCsv(text);
    expect(p.delimiter).toBe(',');
    expect(p.header).toEqual(['name', 'note', 'value']);
    expect(p.records).toEqual([
      { row: 2, cells: ['Pen 1', 'said "hi"', '1'] },
      { row: 3, cells: ['Pen 2', 'two\nlines', '2'] },
      { row: 6, cells: ['last', '', '3'] },
    ]);
  });
  it('sniffs , ; and tab from the header line', () => {
    expect(sniffDelimiter('a;b;c\n1,5;2;3')).toBe(';');
    expect(sniffDelimiter('a\tb\tc\n1\t2\t3')).toBe('\t');
    expect(sniffDelimiter('"a;x",b,c\n')).toBe(',');
    expect(parseCsv('a;b\n"1;2";3').records[0]!.cells).toEqual(['1;2', '3']);
  });
  it('an unclosed quote is an error naming its row', () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3')).toThrow(/row 2: a quoted field is not closed/);
  });
  it('numbers with a decimal point or comma; timestamps and dates', () => {
    expect(parseNumber('12,5')).toBe(12.5);
    expect(parseNumber(' 7.25 ')).toBe(7.25);
    expect(parseNumber('1.2.3')).toBeNull();
    expect(parseTimestamp('2025-03-01 08:30')).toBe('2025-03-01T08:30:00');
    expect(parseTimestamp('2025-03-01T08:30:00+01:00')).toBe('2025-03-01T08:30:00+01:00');
    expect(parseTimestamp('01.03.2025 8:30')).toBe('2025-03-01T08:30:00');
    expect(parseTimestamp('2025-03-01')).toBe('2025-03-01T12:00:00');
    expect(parseTimestamp('2025-02-30T08:00')).toBeNull();
  });
});

describe('CSV mapping', () => {
  it('temperatures: the user mapping, the parameter filter, bad rows listed with row, column and reason', () => {
    const csv = [
      'Site;Pen;Time;Parameter;Reading',
      'X;Pen 1;2025-03-01 08:00;Temperature;7,5',
      'X;Pen 1;2025-03-01 09:00;Oxygen;9,1',
      'X;Pen 2;2025-03-01 08:00;TEMP;7,7',
      'X;Pen 9;2025-03-01 08:00;temp;7',
      'X;Pen 1;not a time;temp;7',
      'X;Pen 1;2025-03-02 08:00;temp;55',
      'X;twin;2025-03-02 08:00;temp;abc',
      'X;Pen 1;2025-12-02 08:00;temp;6',
    ].join('\n');
    const r = mapRows('temperature', parseCsv(csv), { container_name: 'Pen', timestamp: 'Time', value: 'Reading', parameter: 'Parameter' }, lookup);
    expect(r.delimiter).toBe(';');
    expect(r.skipped).toBe(1);
    expect(r.good).toEqual([
      { kind: 'temperature', row: 2, container_id: 'P1', timestamp: '2025-03-01T08:00:00', value: 7.5 },
      { kind: 'temperature', row: 4, container_id: 'P2', timestamp: '2025-03-01T08:00:00', value: 7.7 },
    ]);
    expect(r.badRows).toBe(5);
    expect(r.problems.map((p) => [p.row, p.column])).toEqual([[5, 'Pen'], [6, 'Time'], [7, 'Reading'], [8, 'Pen'], [8, 'Reading'], [9, 'Time']]);
    expect(r.problems[0]!.message).toMatch(/no container is named "Pen 9"/);
    expect(r.problems[2]!.message).toMatch(/outside −3…40/);
    expect(r.problems[3]!.message).toMatch(/2 containers are named "twin"/);
    expect(r.problems[5]!.message).toMatch(/future/);
  });
  it('feed: assignment or container (its batch found), kg; a mapping to an unknown column is refused', () => {
    const csv = 'Date,Unit,Kg\n2025-02-01,A1,120.5\n2025-02-01,A9,3\n2024-12-01,A1,4\n2025-02-02,A1,-1\n';
    const r = mapRows('feed', parseCsv(csv), { date: 'Date', assignment_id: 'Unit', kg: 'Kg' }, lookup);
    expect(r.good).toEqual([{ kind: 'feed', row: 2, batch_id: 'B1', date: '2025-02-01', assignment_id: 'A1', kg: 120.5 }]);
    expect(r.problems.map((p) => `${p.row}:${p.field}`)).toEqual(['3:assignment_id', '4:date', '5:kg']);
    const c = mapRows('feed', parseCsv('d,c,k\n2025-02-01,P1,5\n2025-02-01,P2,5'), { date: 'd', container_id: 'c', kg: 'k' }, lookup);
    expect(c.good).toEqual([{ kind: 'feed', row: 2, batch_id: 'B1', date: '2025-02-01', container_id: 'P1', kg: 5 }]);
    expect(c.problems[0]!.message).toMatch(/no batch is in container P2/);
    expect(() => mapRows('feed', parseCsv('d,c,k\n'), { date: 'd', container_id: 'nope', kg: 'k' }, lookup)).toThrow(/no column "nope"/);
    expect(() => mapRows('temperature', parseCsv('d,c,k\n'), { date: 'd', value: 'k' }, lookup)).toThrow(/exactly one of container_id and container_name/);
  });
});

describe('CSV import and export through the API', () => {
  it('preview writes nothing; commit writes good rows atomically, lists bad ones, recompute reflects them', async () => {
    const be = await openBackend();
    await seedSmallSite(be);
    const count = () => (be.ctx.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const temp = (d: string) => be.ctx.db.prepare("SELECT temp_c, src_temp FROM assignment_states WHERE assignment_id = 'A1' AND date = ?").get(d) as { temp_c: number; src_temp: string };
    const csv = 'container,time,value\nP1,2025-03-01T06:00:00Z,4\nP1,2025-03-01T18:00:00Z,5\nP1,2025-03-02T06:00:00Z,x\nP7,2025-03-02T06:00:00Z,4\n';
    const map = { container_id: 'container', timestamp: 'time', value: 'value' };
    const before = count();
    const pv = must(await be.call('import.preview', { kind: 'temperature', csv, map, rows: 2 }));
    expect(pv).toMatchObject({ total_rows: 4, good_rows: 2, bad_rows: 2, delimiter: ',' });
    expect(pv.rows).toHaveLength(2);
    expect(pv.problems.map((p) => `${p.row} ${p.column}`)).toEqual(['4 value', '5 container']);
    expect(count()).toBe(before);

    const progress: string[] = [];
    be.on('import.progress', (p) => progress.push(`${p.phase} ${p.done}/${p.total}`));
    const res = must(await be.call('import.commit', { kind: 'temperature', csv, map, progress_every: 1 }));
    expect(res).toMatchObject({ committed_rows: 2, bad_rows: 2, events: 1, batch_ids: ['B1'] });
    expect(count()).toBe(before + 1);
    expect(progress).toContain('validate 1/4');
    expect(progress).toContain('write 2/2');
    expect(temp('2025-03-01')).toEqual({ temp_c: 4.5, src_temp: 'measured' });
    expect(verifyBatch(be.ctx.db, 'B1')).toEqual([]);

    // feed: all good rows in one transaction; a failure inside it writes none
    const feed = 'date;assignment;kg\n2025-02-01;A1;100\n2025-02-02;A1;110,5\n2025-02-03;A2;5\n';
    const fmap = { date: 'date', assignment_id: 'assignment', kg: 'kg' };
    be.ctx.faultInjection = (s, evs) => { if (s === 'after-project' && evs[0]!.entityType === 'feed') throw new Error('injected'); };
    const n0 = count();
    const failed = await be.call('import.commit', { kind: 'feed', csv: feed, map: fmap });
    expect(failed.ok).toBe(false);
    expect(count()).toBe(n0);
    be.ctx.faultInjection = undefined;
    const f = must(await be.call('import.commit', { kind: 'feed', csv: feed, map: fmap }));
    expect(f).toMatchObject({ committed_rows: 2, bad_rows: 1, events: 2 });
    expect(f.problems[0]).toMatchObject({ row: 4, column: 'assignment', message: 'assignment A2 has no fish on 2025-02-03' });
    const fed = be.ctx.db.prepare("SELECT date, feed_kg, src_feed FROM assignment_states WHERE assignment_id = 'A1' AND date IN ('2025-02-01', '2025-02-02') ORDER BY date").all();
    expect(fed).toEqual([{ date: '2025-02-01', feed_kg: 100, src_feed: 'recorded' }, { date: '2025-02-02', feed_kg: 110.5, src_feed: 'recorded' }]);
    expect(verifyBatch(be.ctx.db, 'B1')).toEqual([]);

    const big = await be.call('import.preview', { kind: 'feed', csv: 'x'.repeat(21 * (1 << 20)), map: fmap });
    expect(big.ok ? null : big.error.code).toBe('too_large');
    await be.close();
  });

  it('export.actual: daily and weekly, batch and one assignment; the CSV round-trips the stored states', async () => {
    const be = await openBackend();
    await seedSmallSite(be);
    must(await be.call('sample.record', { id: 'G1', batch_id: 'B1', assignment_id: 'A1', date: '2025-03-01', sample_size: 30, avg_weight_g: 901.3 }));
    const parse = (csv: string) => { const p = parseCsv(csv); return p.records.map((r) => Object.fromEntries(p.header.map((h, i) => [h, r.cells[i]]))); };
    const num = (v: unknown) => (v === null ? '' : String(v));

    const daily = must(await be.call('export.actual', { batch_id: 'B1' }));
    const stored = be.ctx.db.prepare("SELECT * FROM batch_states WHERE batch_id = 'B1' ORDER BY date").all() as Record<string, unknown>[];
    expect(daily.rows).toBe(stored.length);
    const got = parse(daily.csv);
    got.forEach((r, i) => { for (const c of daily.columns) expect(r[c], `${c} ${i}`).toBe(num(stored[i]![c])); });
    expect(Number(got[100]!.avg_weight_g)).toBe(stored[100]!.avg_weight_g); // exact: shortest round-trip text

    const one = must(await be.call('export.actual', { batch_id: 'B1', assignment_id: 'A1', from: '2025-02-01', to: '2025-03-31' }));
    const st = be.ctx.db.prepare("SELECT * FROM assignment_states WHERE assignment_id = 'A1' AND date BETWEEN '2025-02-01' AND '2025-03-31' ORDER BY date").all() as Record<string, unknown>[];
    const rows = parse(one.csv);
    expect(rows).toHaveLength(st.length);
    rows.forEach((r, i) => {
      expect(Number(r.avg_weight_g)).toBe(st[i]!.avg_weight_g);
      expect(Number(r.population)).toBe(st[i]!.population);
      expect(r.weight_source).toBe(st[i]!.src_weight);
      expect(Number(r.confidence)).toBe(st[i]!.conf_overall);
    });

    const wk = must(await be.call('export.actual', { batch_id: 'B1', granularity: 'weekly' }));
    const wa = must(await be.call('export.actual', { batch_id: 'B1', granularity: 'weekly', assignment_id: 'A1' }));
    // the weekly rollups of a from-scratch engine run on the batch's document
    const asOf = (be.ctx.db.prepare("SELECT as_of FROM batch_outputs WHERE batch_id = 'B1'").get() as { as_of: string }).as_of;
    const full = assimilate(buildBatchDocument(be.ctx.db, 'B1', { asOf })!);
    if (!full.ok) throw new Error('engine errors');
    const weekly = full.states.weekly;
    expect(parse(wk.csv).map((r) => Number(r.biomass_kg))).toEqual(weekly.batch.map((w: { biomass_kg: number }) => w.biomass_kg));
    expect(parse(wa.csv).map((r) => r.week_start)).toEqual(weekly.assignments.find((a: { assignment_id: string }) => a.assignment_id === "A1")!.weeks.map((w: { week_start: string }) => w.week_start));
    expect(wk.columns[0]).toBe('week_start');
    const bad = await be.call('export.actual', { batch_id: 'B1', assignment_id: 'NOPE' });
    expect(bad.ok ? null : bad.error.field).toBe('assignment_id');
    await be.close();
  });
});
