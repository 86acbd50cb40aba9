/**
 * CSV import (temperature loggers, feed) with a mapping, a preview that lists bad rows, and a commit
 * with progress; and the Actual series exported as CSV.
 */
import { useEffect, useMemo, useState } from 'react';
import type { CsvCommitResult, CsvImportKind, CsvPreview } from '../../backend/api/contract';
import { call, useApp } from '../store';

const FIELDS: Record<CsvImportKind, { name: string; label: string; required: boolean }[]> = {
  temperature: [
    { name: 'container_id', label: 'Container id (or name below)', required: false }, { name: 'container_name', label: 'Container name', required: false },
    { name: 'timestamp', label: 'Timestamp (or date)', required: false }, { name: 'date', label: 'Date', required: false },
    { name: 'value', label: 'Temperature (°C)', required: true }, { name: 'parameter', label: 'Parameter', required: false },
  ],
  feed: [
    { name: 'date', label: 'Date', required: true }, { name: 'container_id', label: 'Container id', required: false },
    { name: 'assignment_id', label: 'Assignment id', required: false }, { name: 'kg', label: 'Feed (kg)', required: true }, { name: 'batch_id', label: 'Batch id', required: false },
  ],
};

export function ImportExport() {
  return (
    <section>
      <h1>Import / export</h1>
      <div className="io">
        <ImportCard />
        <ExportCard />
      </div>
    </section>
  );
}

function guess(header: string[], field: string): string {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z]/g, '');
  const f = norm(field);
  return header.find((h) => norm(h) === f) ?? header.find((h) => norm(h).includes(f.replace('id', '')) && f !== 'date') ?? '';
}

function ImportCard() {
  const client = useApp((s) => s.client);
  const [kind, setKind] = useState<CsvImportKind>('temperature');
  const [csv, setCsv] = useState('');
  const [fileName, setFileName] = useState('');
  const [map, setMap] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<CsvPreview | null>(null);
  const [result, setResult] = useState<CsvCommitResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<{ phase: string; done: number; total: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const header = useMemo(() => (csv.split(/\r?\n/, 1)[0] ?? '').split(/[,;\t]/).map((h) => h.trim().replace(/^"|"$/g, '')).filter(Boolean), [csv]);
  useEffect(() => { setMap(Object.fromEntries(FIELDS[kind].map((f) => [f.name, guess(header, f.name)]).filter(([, v]) => v))); setPreview(null); setResult(null); }, [header, kind]);
  useEffect(() => client?.subscribe('import.progress', (p) => setProgress(p)), [client]);
  const args = () => ({ kind, csv, map: Object.fromEntries(Object.entries(map).filter(([, v]) => v)) });
  const doPreview = async () => {
    setBusy(true); setError(null); setResult(null);
    const r = await call('import.preview', { ...args(), rows: 10 });
    setBusy(false);
    if (r.ok) setPreview(r.value); else setError(r.error.message);
  };
  const doCommit = async () => {
    setBusy(true); setError(null); setProgress({ phase: 'validate', done: 0, total: preview?.total_rows ?? 0 });
    const r = await call('import.commit', args());
    setBusy(false); setProgress(null);
    if (r.ok) { setResult(r.value); setPreview(null); } else setError(r.error.message);
  };
  return (
    <div className="card" data-testid="import-card">
      <h2>Import CSV</h2>
      <label>What the file holds
        <select value={kind} onChange={(e) => setKind(e.target.value as CsvImportKind)}>
          <option value="temperature">Temperature readings (logger export)</option><option value="feed">Feed</option>
        </select>
      </label>
      <label>File
        <input type="file" accept=".csv,.txt,text/csv" data-testid="import-file" onChange={async (e) => {
          const f = e.target.files?.[0];
          if (!f) return;
          if (f.size > 20 * 1024 * 1024) { setError('The file is larger than 20 MB; split it first.'); return; }
          setFileName(f.name); setCsv(await f.text());
        }} />
      </label>
      {header.length > 0 && (
        <>
          <div className="small muted">{fileName} · {header.length} columns</div>
          <div className="mapping">
            {FIELDS[kind].map((f) => (
              <label key={f.name}>{f.label}{f.required ? ' *' : ''}
                <select value={map[f.name] ?? ''} onChange={(e) => setMap({ ...map, [f.name]: e.target.value })}>
                  <option value="">(not in the file)</option>
                  {header.map((h) => <option key={h} value={h}>{h}</option>)}
                </select>
              </label>
            ))}
          </div>
          <div className="actions">
            <button type="button" onClick={() => void doPreview()} disabled={busy}>Check the file</button>
            <button type="button" className="primary" onClick={() => void doCommit()} disabled={busy || !preview || preview.good_rows === 0} data-testid="import-commit">
              Import {preview ? `${preview.good_rows.toLocaleString('en-GB')} good rows` : ''}
            </button>
          </div>
        </>
      )}
      {progress && <div className="small"><progress max={progress.total || 1} value={progress.done} /> {progress.phase}: {progress.done.toLocaleString('en-GB')} of {progress.total.toLocaleString('en-GB')}</div>}
      {error && <div className="form-error" role="alert">{error}</div>}
      {preview && (
        <div data-testid="import-preview">
          <p className="small">{preview.total_rows.toLocaleString('en-GB')} rows: <b>{preview.good_rows.toLocaleString('en-GB')} good</b>, <span className={preview.bad_rows ? 'bad' : ''}>{preview.bad_rows.toLocaleString('en-GB')} with problems</span>, {preview.skipped_rows.toLocaleString('en-GB')} skipped.</p>
          <MappedRows rows={preview.rows} />
          {preview.problems.length > 0 && <ProblemList problems={preview.problems} />}
        </div>
      )}
      {result && (
        <div data-testid="import-result" className="small">
          <p className="saved">Imported {result.committed_rows.toLocaleString('en-GB')} rows ✓ {result.bad_rows ? `(${result.bad_rows} rows with problems were not written)` : ''}</p>
          {result.problems.length > 0 && <ProblemList problems={result.problems} />}
        </div>
      )}
    </div>
  );
}

const FIELD_LABEL: Record<string, string> = { value: 'value (°C)', mean_c: 'mean (°C)', kg: 'feed (kg)' };

/** The first rows as the mapping reads them (what will be written), so a wrong column shows at once. */
function MappedRows({ rows }: { rows: { row: number; values: Record<string, unknown>; problems: { message: string }[] }[] }) {
  if (rows.length === 0) return null;
  const fields = [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
  const show = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'number' ? v.toLocaleString('en-GB', { maximumFractionDigits: 3 }) : String(v));
  return (
    <table className="mapped-rows small" data-testid="import-mapped-rows">
      <caption>First {rows.length} rows as they will be imported</caption>
      <thead><tr><th>row</th>{fields.map((f) => <th key={f}>{FIELD_LABEL[f] ?? f}</th>)}<th>problems</th></tr></thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.row} className={r.problems.length ? 'bad' : undefined}>
            <td>{r.row}</td>{fields.map((f) => <td key={f}>{show(r.values[f])}</td>)}<td>{r.problems.map((p) => p.message).join('; ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ProblemList({ problems }: { problems: { row: number; column?: string; message: string }[] }) {
  return <pre>{problems.slice(0, 50).map((p) => `row ${p.row}${p.column ? ` (${p.column})` : ''}: ${p.message}`).join('\n')}{problems.length > 50 ? `\n… and ${problems.length - 50} more` : ''}</pre>;
}

function ExportCard() {
  const batches = useApp((s) => s.batches);
  const [batchId, setBatchId] = useState('');
  const [granularity, setGranularity] = useState<'daily' | 'weekly'>('daily');
  const [msg, setMsg] = useState<string | null>(null);
  const id = batchId || batches[0]?.id || '';
  const go = async () => {
    setMsg('Preparing…');
    const r = await call('export.actual', { batch_id: id, granularity });
    if (!r.ok) { setMsg(r.error.message); return; }
    const url = URL.createObjectURL(new Blob([r.value.csv], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url; a.download = `${id}-actual-${granularity}.csv`; a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setMsg(`${r.value.rows.toLocaleString('en-GB')} rows, ${r.value.columns.length} columns saved as ${a.download}`);
  };
  return (
    <div className="card" data-testid="export-card">
      <h2>Export the Actual series</h2>
      <label>Batch
        <select value={id} onChange={(e) => setBatchId(e.target.value)}>{batches.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}</select>
      </label>
      <label>Rows
        <select value={granularity} onChange={(e) => setGranularity(e.target.value as 'daily' | 'weekly')}><option value="daily">one per day</option><option value="weekly">one per ISO week</option></select>
      </label>
      <button type="button" className="primary" onClick={() => void go()} disabled={!id} data-testid="export-go">Export CSV</button>
      {msg && <p className="small" data-testid="export-msg">{msg}</p>}
    </div>
  );
}
