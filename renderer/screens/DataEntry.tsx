/**
 * Data entry for every measurement kind: keyboard-first forms (Enter saves, Alt+1…0 picks the kind),
 * container and date defaulting to the last used and the site's today, errors next to the fields,
 * and a record list where a record can be corrected or voided with a reason, or its history read.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ApiError, AssignmentDto, HistoryEntry, MeasurementMethod, TemperatureLogDto } from '../../backend/api/contract';
import { addDays, fmtDate, fmtWeight, trim } from '../format';
import { call, loadAnalysis, navigate, useApp } from '../store';
import { DateField } from '../DateField';
import { KINDS, parseFish, type FieldSpec, type KindSpec } from './entry-kinds';

type Values = Record<string, string | boolean>;
/** A stored record of any kind, read field by field. */
type Rec = Record<string, unknown> & { id: string; voided: boolean; updated_by_event: string | null; date?: string; timestamp?: string };
const remembered: { assignment?: string; kind?: MeasurementMethod } = {};

export function DataEntryScreen({ batchId }: { batchId: string | null }) {
  const batches = useApp((s) => s.batches);
  const id = batchId ?? batches[0]?.id ?? null;
  useEffect(() => { if (id) void loadAnalysis(id); }, [id]);
  if (!id) return <p className="loading">Loading batches…</p>;
  return (
    <section className="entry-screen">
      <div className="entry-top">
        <h1>Data entry</h1>
        <label>Batch
          <select value={id} onChange={(e) => navigate({ screen: 'entry', batchId: e.target.value })} data-testid="entry-batch">
            {batches.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
          </select>
        </label>
        <button type="button" className="link" onClick={() => navigate({ screen: 'batch', batchId: id })}>Open its Growth Analysis →</button>
      </div>
      <EntryPanel key={id} batchId={id} />
    </section>
  );
}

export function EntryPanel({ batchId, compact = false }: { batchId: string; compact?: boolean }) {
  const [kind, setKind] = useState<MeasurementMethod>(remembered.kind ?? 'sample');
  const [assignments, setAssignments] = useState<AssignmentDto[]>([]);
  const [editing, setEditing] = useState<Rec | null>(null);
  const [listKey, setListKey] = useState(0);
  const spec = KINDS.find((k) => k.method === kind)!;
  useEffect(() => {
    void call('batch.get', { id: batchId }).then((r) => { if (r.ok) setAssignments(r.value.assignments.filter((a) => !a.voided)); });
  }, [batchId, listKey]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const i = e.key === '0' ? 9 : Number(e.key) - 1;
      if (i >= 0 && i < KINDS.length) { e.preventDefault(); choose(KINDS[i]!.method); }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const choose = (m: MeasurementMethod) => { remembered.kind = m; setKind(m); setEditing(null); };
  return (
    <div className={compact ? 'entry compact' : 'entry'} data-testid="entry-panel">
      <h2>{editing ? `Correct ${spec.label.toLowerCase()}` : 'Record'}</h2>
      <div className="kinds" role="tablist">
        {KINDS.map((k, i) => (
          <button key={k.method} type="button" role="tab" aria-selected={k.method === kind} className={k.method === kind ? 'kind on' : 'kind'}
            onClick={() => choose(k.method)} title={`Alt+${(i + 1) % 10}`} data-kind={k.method}>{k.label}</button>
        ))}
      </div>
      <EntryForm key={`${kind}:${editing?.id ?? ''}`} spec={spec} batchId={batchId} assignments={assignments} editing={editing}
        onDone={() => { setEditing(null); setListKey((k) => k + 1); }} />
      <RecordList key={`${kind}:${listKey}`} spec={spec} batchId={batchId} assignments={assignments} onCorrect={setEditing} />
      {kind === 'temperatureDaily' && <LogList key={`logs:${listKey}`} batchId={batchId} />}
    </div>
  );
}

function useAssignmentOptions(batchId: string, assignments: AssignmentDto[]) {
  const containers = useApp((s) => s.containers);
  return useMemo(() => {
    const byId = new Map(containers.map((c) => [c.id, c]));
    const active = new Set(containers.filter((c) => c.current?.batch_id === batchId).map((c) => c.current!.assignment_id));
    const opts = assignments.map((a) => {
      const c = byId.get(a.container_id);
      const cur = c?.current?.assignment_id === a.id ? c.current : null;
      return {
        id: a.id, containerId: a.container_id, active: active.has(a.id),
        label: `${c?.name ?? a.container_id}${cur ? ` · ${cur.stage}, ${fmtWeight(cur.avg_weight_g)}, ${cur.population.toLocaleString('en-GB')} fish` : ' · empty now'}`,
      };
    });
    opts.sort((p, q) => Number(q.active) - Number(p.active) || p.label.localeCompare(q.label));
    const empty = containers.filter((c) => !c.current && !c.voided);
    return { opts, empty, byId };
  }, [containers, assignments, batchId]);
}

function EntryForm({ spec, batchId, assignments, editing, onDone }: {
  spec: KindSpec; batchId: string; assignments: AssignmentDto[]; editing: Rec | null; onDone: () => void;
}) {
  const site = useApp((s) => s.site);
  const stages = useApp((s) => s.stages);
  const { opts, empty, byId } = useAssignmentOptions(batchId, assignments);
  const first = useRef<HTMLElement | null>(null);
  const initial = (): Values => {
    const v: Values = {};
    for (const f of spec.fields) {
      const r = editing;
      if (r && r[f.name] !== undefined && r[f.name] !== null) {
        const x = r[f.name];
        v[f.name] = f.type === 'checkbox' ? Boolean(x) : f.type === 'weights' && Array.isArray(x)
          ? x.map((w, i) => { const l = (r.individual_lengths_cm as (number | null)[] | null)?.[i]; return l ? `${w} ${l}` : String(w); }).join('\n') : String(x);
      } else if (f.type === 'checkbox') v[f.name] = false;
      else if (f.type === 'date') v[f.name] = site?.today ?? '';
      else if (f.type === 'assignment') v[f.name] = f.required || spec.method === 'sample' ? (remembered.assignment && opts.some((o) => o.id === remembered.assignment) ? remembered.assignment : opts[0]?.id ?? '') : '';
      else if (f.type === 'container') v[f.name] = byId.get(opts.find((o) => o.id === remembered.assignment)?.containerId ?? '')?.id ?? opts[0]?.containerId ?? '';
      else if (f.type === 'select' && f.required) v[f.name] = f.options![0]![0];
      else v[f.name] = '';
    }
    return v;
  };
  const [values, setValues] = useState<Values>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  // the assignment list arrives after the first render
  useEffect(() => { if (!editing && opts.length) setValues((v) => ({ ...initial(), ...Object.fromEntries(Object.entries(v).filter(([, x]) => x !== '' && x !== false)) })); }, [opts.length]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => { first.current?.focus(); }, []);
  const fish = spec.fields.some((f) => f.type === 'weights') ? parseFish(String(values.individual_weights_g ?? '')) : null;
  const set = (name: string, v: string | boolean) => { setValues((s) => ({ ...s, [name]: v })); setErrors((e) => { const { [name]: _, ...rest } = e; return rest; }); setSaved(null); };

  function build(): { args: Record<string, unknown>; local: Record<string, string> } {
    const args: Record<string, unknown> = {};
    const local: Record<string, string> = {};
    for (const f of spec.fields) {
      const raw = values[f.name];
      if (f.type === 'checkbox') { if (raw || editing) args[f.name] = !!raw; continue; }
      const s = String(raw ?? '').trim();
      if (f.type === 'weights') {
        if (!s) continue;
        if (fish?.bad) local[f.name] = fish.bad;
        args.individual_weights_g = fish?.weights;
        if (fish?.lengths) args.individual_lengths_cm = fish.lengths;
        continue;
      }
      if (s === '') { if (f.required) local[f.name] = 'required'; else if (editing) args[f.name] = null; continue; }
      if (f.type === 'int' || f.type === 'number') {
        const n = Number(s.replace(',', '.').replace(/\s/g, ''));
        if (!Number.isFinite(n)) { local[f.name] = 'not a number'; continue; }
        if (f.type === 'int' && !Number.isInteger(n)) { local[f.name] = 'a whole number'; continue; }
        args[f.name] = n;
      } else args[f.name] = s;
    }
    return { args, local };
  }

  async function submit(e?: React.FormEvent) {
    e?.preventDefault();
    if (busy) return;
    const { args, local } = build();
    if (Object.keys(local).length) { setErrors(local); setGeneral('Please fix the marked fields.'); return; }
    setBusy(true); setGeneral(null);
    try {
      let dest = args.dest_assignment_id as string | undefined;
      if (dest?.startsWith('new:')) {
        const r = await call('assignment.create', { batch_id: batchId, container_id: dest.slice(4), stage: (args.dest_stage as string | undefined) ?? null });
        if (!r.ok) { show(r.error, 'dest_assignment_id'); return; }
        dest = r.value.id; args.dest_assignment_id = dest;
      }
      useApp.setState({ lastSaveAt: performance.now() });
      let r;
      if (editing) {
        const patch: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(args)) if (JSON.stringify(v) !== JSON.stringify(editing[k] ?? null)) patch[k] = v;
        if (!reason.trim()) { setErrors({ reason: 'a reason is required' }); return; }
        r = await call(`${spec.method}.correct` as 'sample.correct', { id: editing.id, patch: patch as never, reason });
      } else {
        r = await call(`${spec.method}.record` as 'sample.record', { batch_id: batchId, ...args } as never);
      }
      if (!r.ok) { show(r.error); return; }
      remembered.assignment = (args.assignment_id ?? args.source_assignment_id ?? remembered.assignment) as string | undefined;
      setSaved(`${editing ? 'Corrected' : 'Saved'} ${spec.label.toLowerCase()} ${fmtDate(String(args.date ?? editing?.date ?? ''))} ✓`);
      if (!editing) {
        // keep container and date for the next entry; clear the measured values
        setValues((v) => Object.fromEntries(Object.entries(v).map(([k, x]) => {
          const f = spec.fields.find((ff) => ff.name === k);
          return [k, f && ['assignment', 'container', 'date', 'select', 'stage'].includes(f.type) ? x : typeof x === 'boolean' ? false : ''];
        })));
      }
      setErrors({});
      onDone();
      first.current?.focus();
    } finally { setBusy(false); }
  }

  function show(err: ApiError, fallbackField?: string) {
    const field = (err.field ?? fallbackField ?? '').split(/[.[]/)[0]!;
    const known = spec.fields.some((f) => f.name === field) || field === 'individual_lengths_cm';
    const name = field === 'individual_lengths_cm' ? 'individual_weights_g' : field;
    if (known) { setErrors({ [name]: err.message }); setGeneral(null); } else setGeneral(err.message);
  }

  const assignmentSelect = (f: FieldSpec, i: number) => (
    <select id={`f-${f.name}`} value={String(values[f.name] ?? '')} onChange={(e) => set(f.name, e.target.value)} ref={i === 0 ? (el) => { first.current = el; } : undefined}>
      {!f.required && <option value="">(whole batch)</option>}
      {opts.map((o) => <option key={o.id} value={o.id}>{o.label}</option>)}
    </select>
  );

  return (
    <form className="entry-form" onSubmit={(e) => void submit(e)} noValidate data-testid={`form-${spec.method}`}
      onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); void submit(); } }}>
      {general && <div className="form-error" role="alert" data-testid="form-error">{general}</div>}
      {spec.fields.map((f, i) => (
        <div key={f.name} className={`field ${f.type} ${errors[f.name] ? 'has-error' : ''}`} data-field={f.name}>
          {f.type === 'checkbox' ? (
            <label className="check"><input type="checkbox" checked={!!values[f.name]} onChange={(e) => set(f.name, e.target.checked)} /> {f.label}</label>
          ) : (
            <>
              <label htmlFor={`f-${f.name}`}>{f.label}{f.unit ? <span className="muted"> ({f.unit})</span> : null}{f.required ? <span className="req"> *</span> : null}</label>
              {f.type === 'assignment' ? assignmentSelect(f, i)
                : f.type === 'container' ? (
                  <select id={`f-${f.name}`} value={String(values[f.name] ?? '')} onChange={(e) => set(f.name, e.target.value)}>
                    {[...new Set(opts.map((o) => o.containerId))].map((c) => <option key={c} value={c}>{byId.get(c)?.name ?? c}</option>)}
                  </select>
                ) : f.type === 'dest' ? (
                  <select id={`f-${f.name}`} value={String(values[f.name] ?? '')} onChange={(e) => set(f.name, e.target.value)}>
                    <option value="">choose…</option>
                    <optgroup label="Containers of this batch">
                      {opts.filter((o) => o.id !== values.source_assignment_id).map((o) => <option key={o.id} value={o.id}>{o.label}</option>)}
                    </optgroup>
                    <optgroup label="Empty containers (new)">
                      {empty.map((c) => <option key={c.id} value={`new:${c.id}`}>{c.name} · {c.id} ({c.environment})</option>)}
                    </optgroup>
                  </select>
                ) : f.type === 'select' ? (
                  <select id={`f-${f.name}`} value={String(values[f.name] ?? '')} onChange={(e) => set(f.name, e.target.value)}>
                    {!f.required && <option value="">—</option>}
                    {f.options!.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
                  </select>
                ) : f.type === 'stage' ? (
                  <select id={`f-${f.name}`} value={String(values[f.name] ?? '')} onChange={(e) => set(f.name, e.target.value)}>
                    <option value="">{f.required ? 'choose…' : '(unchanged)'}</option>
                    {stages.map((s) => <option key={s.name} value={s.name}>{s.name}</option>)}
                  </select>
                ) : f.type === 'weights' ? (
                  <>
                    <textarea id={`f-${f.name}`} rows={compactRows(values[f.name])} value={String(values[f.name] ?? '')} placeholder="e.g.&#10;412 33.5&#10;398 33.0"
                      onChange={(e) => set(f.name, e.target.value)} ref={i === 0 ? (el) => { first.current = el; } : undefined} />
                    {f.hint && <div className="hint">{f.hint}; Ctrl+Enter saves</div>}
                    {fish && fish.n > 0 && (
                      <div className="live" data-testid="live-stats">
                        n <b>{fish.n}</b> · mean <b>{fmtWeight(fish.mean)}</b> · SD <b>{fish.sd !== null ? fmtWeight(fish.sd) : '—'}</b>
                        {fish.cv !== null && <> · CV <b>{trim(fish.cv, 1)} %</b></>} · K <b>{fish.k !== null ? trim(fish.k, 2) : '—'}</b>
                      </div>
                    )}
                  </>
                ) : f.type === 'date' ? (
                  <DateField id={`f-${f.name}`} value={String(values[f.name] ?? '')} onChange={(v) => set(f.name, v)} today={site?.today ?? ''} max={site?.today}
                    inputRef={i === 0 ? (el) => { first.current = el; } : undefined} />
                ) : (
                  <input id={`f-${f.name}`} type="text" inputMode={f.type === 'int' ? 'numeric' : f.type === 'number' ? 'decimal' : undefined}
                    value={String(values[f.name] ?? '')}
                    onChange={(e) => set(f.name, e.target.value)} autoComplete="off" ref={i === 0 ? (el) => { first.current = el; } : undefined} />
                )}
            </>
          )}
          {errors[f.name] && <div className="field-error" role="alert">{errors[f.name]}</div>}
        </div>
      ))}
      {editing && (
        <div className={`field ${errors.reason ? 'has-error' : ''}`}>
          <label htmlFor="f-reason">Reason for the correction<span className="req"> *</span></label>
          <input id="f-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
          {errors.reason && <div className="field-error">{errors.reason}</div>}
        </div>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy} data-testid="save">{busy ? 'Saving…' : editing ? 'Save correction' : 'Save'} <kbd>Enter</kbd></button>
        {editing && <button type="button" onClick={onDone}>Cancel</button>}
        {saved && <span className="saved" role="status" data-testid="saved">{saved}</span>}
      </div>
    </form>
  );
}

const compactRows = (v: unknown) => Math.min(10, Math.max(3, String(v ?? '').split('\n').length + 1));

function RecordList({ spec, batchId, assignments, onCorrect }: { spec: KindSpec; batchId: string; assignments: AssignmentDto[]; onCorrect: (r: Rec) => void }) {
  const site = useApp((s) => s.site);
  const containers = useApp((s) => s.containers);
  const [rows, setRows] = useState<Rec[] | null>(null);
  const [open, setOpen] = useState<{ id: string; mode: 'void' | 'history' } | null>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    if (!site) return;
    void call('records.list', { batch_id: batchId, kind: spec.method, from: addDays(site.today, -120), include_voided: true, limit: 12, order: 'desc' })
      .then((r) => setRows(r.ok ? (r.value as unknown as Rec[]) : []));
  }, [batchId, spec.method, site, reload]);
  const where = (r: Record<string, unknown>) => {
    const aId = (r.assignment_id ?? r.source_assignment_id) as string | undefined;
    const cId = (r.container_id as string | undefined) ?? assignments.find((a) => a.id === aId)?.container_id;
    const name = (id: string | undefined) => containers.find((c) => c.id === id)?.name ?? id ?? 'batch';
    const dest = r.dest_assignment_id as string | undefined;
    return dest ? `${name(cId)} → ${name(assignments.find((a) => a.id === dest)?.container_id)}` : name(cId);
  };
  return (
    <div className="records" data-testid="records">
      <h3>Recent {spec.label.toLowerCase()} records</h3>
      {rows === null ? <p className="muted small">Loading…</p> : rows.length === 0 ? <p className="muted small">None in the last 120 days.</p> : (
        <ul>
          {rows.map((r) => (
            <li key={r.id} className={r.voided ? 'voided' : ''}>
              <div className="rec-line">
                <span>{fmtDate(r.date ?? r.timestamp?.slice(0, 10))}</span>
                <span>{where(r)}</span>
                <span>{spec.summary(r)}</span>
                {r.voided && <span className="pill">voided</span>}
                <span className="rec-actions">
                  {!r.voided && <button type="button" className="link" onClick={() => onCorrect(r)}>Correct</button>}
                  {!r.voided && <button type="button" className="link" onClick={() => setOpen({ id: r.id, mode: 'void' })}>Void</button>}
                  <button type="button" className="link" onClick={() => setOpen(open?.id === r.id && open.mode === 'history' ? null : { id: r.id, mode: 'history' })}>History</button>
                </span>
              </div>
              {open?.id === r.id && open.mode === 'void' && <VoidBox spec={spec} id={r.id} onDone={() => { setOpen(null); setReload((k) => k + 1); }} />}
              {open?.id === r.id && open.mode === 'history' && <History entity={spec.entity} id={r.id} />}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * Logger files and imported series: one line per log, voided or restored whole with a reason (its
 * readings are not records of their own; those the engine drops are, in the list above).
 */
function LogList({ batchId }: { batchId: string }) {
  const site = useApp((s) => s.site);
  const [logs, setLogs] = useState<TemperatureLogDto[] | null>(null);
  const [open, setOpen] = useState<{ id: string; mode: 'void' | 'restore' | 'history' } | null>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    if (!site) return;
    void call('temperatureLog.list', { batch_id: batchId, from: addDays(site.today, -120), include_voided: true, limit: 8 })
      .then((r) => setLogs(r.ok ? r.value : []));
  }, [batchId, site, reload]);
  if (logs === null || logs.length === 0) return null;
  const done = () => { setOpen(null); setReload((k) => k + 1); };
  return (
    <div className="records" data-testid="temperature-logs">
      <h3>Recent temperature logs (logger files, imports)</h3>
      <ul>
        {logs.map((l) => (
          <li key={l.id} className={l.voided ? 'voided' : ''}>
            <div className="rec-line">
              <span>{l.from === l.to ? fmtDate(l.from) : `${fmtDate(l.from)} – ${fmtDate(l.to)}`}</span>
              <span>{l.container_name}</span>
              <span>
                {l.readings.toLocaleString('en-GB')} readings{l.mean_c !== null && `, mean ${l.mean_c.toFixed(2)} °C`}
                {l.dropped > 0 && `, ${l.dropped} outside −3…40 °C`}{l.source && ` · ${l.source}`}
              </span>
              {l.voided && <span className="pill">voided</span>}
              <span className="rec-actions">
                <button type="button" className="link" onClick={() => setOpen({ id: l.id, mode: l.voided ? 'restore' : 'void' })}>{l.voided ? 'Restore' : 'Void'}</button>
                <button type="button" className="link" onClick={() => setOpen(open?.id === l.id && open.mode === 'history' ? null : { id: l.id, mode: 'history' })}>History</button>
              </span>
            </div>
            {open?.id === l.id && open.mode !== 'history' && <LogReasonBox id={l.id} mode={open.mode} onDone={done} />}
            {open?.id === l.id && open.mode === 'history' && <History entity="temperature_log" id={l.id} />}
          </li>
        ))}
      </ul>
    </div>
  );
}

function LogReasonBox({ id, mode, onDone }: { id: string; mode: 'void' | 'restore'; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const go = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await call(mode === 'void' ? 'temperatureLog.void' : 'temperatureLog.restore', { id, reason });
    if (r.ok) onDone(); else setErr(r.error.message);
  };
  return (
    <form className="void-box" onSubmit={(e) => void go(e)}>
      <input autoFocus placeholder={mode === 'void' ? 'Why is this log void (e.g. logger out of the water)?' : 'Why is this log restored?'} value={reason}
        onChange={(e) => setReason(e.target.value)} aria-label="Reason" />
      <button type="submit">{mode === 'void' ? 'Void log' : 'Restore log'}</button>
      {err && <div className="field-error">{err}</div>}
    </form>
  );
}

function VoidBox({ spec, id, onDone }: { spec: KindSpec; id: string; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const go = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await call(`${spec.method}.void` as 'sample.void', { id, reason });
    if (r.ok) onDone(); else setErr(r.error.message);
  };
  return (
    <form className="void-box" onSubmit={(e) => void go(e)}>
      <input autoFocus placeholder="Why is this record void?" value={reason} onChange={(e) => setReason(e.target.value)} aria-label="Reason" />
      <button type="submit">Void record</button>
      {err && <div className="field-error">{err}</div>}
    </form>
  );
}

function History({ entity, id }: { entity: string; id: string }) {
  const [h, setH] = useState<HistoryEntry[] | null>(null);
  useEffect(() => { void call('record.history', { entity_type: entity, entity_id: id }).then((r) => setH(r.ok ? r.value : [])); }, [entity, id]);
  if (!h) return <p className="muted small">Loading history…</p>;
  return (
    <ol className="history">
      {h.map((e) => (
        <li key={e.event_id}>
          <b>{e.type.split('.').pop()}</b> {new Date(e.occurred_at).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })} by {e.actor}
          {e.reason && <> — “{e.reason}”</>}
        </li>
      ))}
    </ol>
  );
}
