/**
 * Sync with the central server: the server address and this laptop's token, "Sync now", what is
 * waiting to be sent, events the server rejected (with its reason), and conflicts — two people
 * changed the same value without seeing each other — each resolved here: keep one of the values,
 * enter another, or void the record.
 */
import { useState } from 'react';
import type { ConflictDto, ConflictHeadDto, ConflictResolution, RejectedEventDto, SyncStatusDto } from '../../backend/api/contract';
import { fmtDate } from '../format';
import { call } from '../store';
import { ago, refreshSync, useSync } from '../sync-store';

const FIELD_LABELS: Record<string, string> = {
  avg_weight_g: 'Average weight (g)', std_dev_g: 'Std. dev. (g)', sample_size: 'Sample size', count: 'Count', date: 'Date',
  kg: 'Feed (kg)', value: 'Temperature (°C)', mean_c: 'Mean temperature (°C)', avg_length_cm: 'Average length (cm)',
  condition_factor: 'Condition factor', cause: 'Cause', note: 'Note', name: 'Name', stage: 'Stage', kind: 'Kind',
  mortality_in_transfer: 'Mortality in transfer', measured_avg_weight_g: 'Measured weight (g)', '(voided)': 'Voided or not',
  '(record)': 'The record',
};
const label = (f: string) => FIELD_LABELS[f] ?? f.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** "14 Mar 2026 09:00" in this computer's time. */
function when(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${fmtDate(`${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`)} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A sync failure in words (the exact message is shown below it). */
function plainError(e: string): string {
  if (/fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|network|socket/i.test(e)) return 'Could not reach the server: no network here, or the server is down. Changes wait on this laptop and are sent when it is back.';
  if (/HTTP 401|HTTP 403/.test(e)) return 'The server refused this laptop\'s token: check it, or ask the office for a new one.';
  if (/HTTP 5\d\d/.test(e)) return 'The server had a problem; it is tried again automatically.';
  return e;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return v.toLocaleString('en-GB', { maximumFractionDigits: 3 });
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return /^\d{4}-\d{2}-\d{2}$/.test(v) ? fmtDate(v) : v;
  return JSON.stringify(v);
}

export function SyncScreen() {
  const status = useSync((s) => s.status);
  if (!status) return <p className="loading">Reading the sync status…</p>;
  return (
    <section>
      <h1>Sync with the central server</h1>
      <div className="sync-screen">
        <div>
          <StatusCard s={status} />
          <ServerCard s={status} />
        </div>
        <div>
          <Conflicts list={status.conflicts} />
          <Rejected list={status.rejected} />
          {status.conflicts.length === 0 && status.rejected.length === 0 && (
            <div className="card" data-testid="sync-no-problems">
              <h2>No conflicts, nothing rejected</h2>
              <p className="muted small" style={{ margin: 0 }}>
                When two people change the same value on different laptops before syncing, both values are kept and the record is listed
                here for someone to decide. Changes the server cannot accept are listed here too, with its reason.
              </p>
            </div>
          )}
        </div>
      </div>
    </section>
  );
}

function StatusCard({ s }: { s: SyncStatusDto }) {
  const now = useSync((x) => x.now);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const syncNow = async () => {
    setBusy(true); setMsg(null);
    const r = await call('sync.now', {});
    setBusy(false);
    if (r.ok) {
      const p = r.value.push, q = r.value.pull;
      setMsg({ ok: true, text: `Sent ${p.accepted + p.duplicate} change${p.accepted + p.duplicate === 1 ? '' : 's'}${p.rejected ? `, ${p.rejected} rejected` : ''}; received ${q.pulled}.` });
    } else setMsg({ ok: false, text: r.error.message });
    void refreshSync();
  };
  const last = ago(s.last_sync_at, now);
  return (
    <div className="card" data-testid="sync-summary">
      <h2>Status</h2>
      <dl>
        <dt>Server</dt><dd>{s.configured ? s.server_url : <span className="muted">not set up</span>}</dd>
        {s.configured && <><dt>Connection</dt><dd>{s.in_flight ? 'syncing now…' : s.online === true ? <span className="good">reachable</span> : s.online === false ? <span className="bad">unreachable — changes wait on this laptop</span> : 'not tried yet'}</dd></>}
        <dt>Waiting to be sent</dt><dd data-testid="sync-screen-pending">{s.pending.toLocaleString('en-GB')} change{s.pending === 1 ? '' : 's'}</dd>
        <dt>Last sync</dt><dd>{last ? <>{last} <span className="muted small">({when(s.last_sync_at)})</span></> : 'never'}</dd>
        {s.last_error && <><dt>Last error</dt><dd className="bad">{plainError(s.last_error)}{plainError(s.last_error) !== s.last_error && <div className="muted small">{s.last_error}</div>}</dd></>}
        {s.configured && s.next_attempt_at && !s.in_flight && s.last_error && <><dt>Next try</dt><dd>{when(s.next_attempt_at)}</dd></>}
        {s.deferred > 0 && <><dt>Waiting for an update</dt><dd>{s.deferred} change{s.deferred === 1 ? '' : 's'} from a newer app version: update this app to see them</dd></>}
        {s.clock_warning && <><dt>Clock</dt><dd className="bad">This computer's clock is more than 5 minutes off the server's. Sync still works; fix the clock so times show right.</dd></>}
        <dt>This laptop</dt><dd className="muted small">{s.device_id}</dd>
      </dl>
      <div className="actions">
        <button type="button" className="primary" disabled={!s.configured || busy} onClick={() => void syncNow()} data-testid="sync-now">{busy ? 'Syncing…' : 'Sync now'}</button>
        {!s.configured && <span className="muted small">Set up the server below first.</span>}
      </div>
      {msg && <p className={`msg ${msg.ok ? 'good' : 'bad'}`} role="status">{msg.text}</p>}
    </div>
  );
}

function ServerCard({ s }: { s: SyncStatusDto }) {
  const [url, setUrl] = useState(s.server_url ?? '');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field?: string; text: string } | null>(null);
  const [saved, setSaved] = useState(false);
  const save = async () => {
    setBusy(true); setError(null); setSaved(false);
    const r = await call('sync.configure', { server_url: url.trim(), ...(token.trim() ? { token: token.trim() } : {}) });
    setBusy(false);
    if (r.ok) { setToken(''); setSaved(true); useSync.setState({ status: r.value }); } else setError({ ...(r.error.field ? { field: r.error.field } : {}), text: r.error.message });
  };
  const turnOff = async () => {
    if (!window.confirm('Turn sync off on this laptop? Nothing is deleted; changes wait here until sync is set up again.')) return;
    const r = await call('sync.configure', { server_url: null });
    if (r.ok) { setUrl(''); useSync.setState({ status: r.value }); }
  };
  return (
    <form className="card" onSubmit={(e) => { e.preventDefault(); void save(); }} data-testid="sync-config">
      <h2>Central server</h2>
      <label>
        Server address
        <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://sync.example.com" autoComplete="off" data-testid="sync-url" />
        {error?.field === 'server_url' && <span className="bad">{error.text}</span>}
      </label>
      <label>
        This laptop's token
        <input type="password" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off"
          placeholder={s.token_set ? 'stored — leave empty to keep it' : 'as issued by the office for this laptop'} data-testid="sync-token" />
        {error?.field === 'token' && <span className="bad">{error.text}</span>}
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !url.trim()}>{s.configured ? 'Save' : 'Save and start syncing'}</button>
        {s.configured && <button type="button" onClick={() => void turnOff()}>Turn sync off</button>}
      </div>
      {error && error.field !== 'server_url' && error.field !== 'token' && <p className="msg bad">{error.text}</p>}
      {saved && <p className="msg good">Saved. Syncing starts now and repeats every 30 seconds while the server is reachable.</p>}
      <p className="muted small">The token is stored on this laptop only and never shown again.</p>
    </form>
  );
}

function Conflicts({ list }: { list: ConflictDto[] }) {
  if (list.length === 0) return null;
  return (
    <div className="card" data-testid="sync-conflicts">
      <h2>Conflicts to resolve ({list.length})</h2>
      <p className="muted small" style={{ marginTop: 0 }}>
        The same value was changed on two laptops before they synced. Until someone decides, every laptop shows the value marked "shown now".
      </p>
      {list.map((c) => <Conflict key={`${c.entity_type}/${c.entity_id}`} c={c} />)}
    </div>
  );
}

function who(h: ConflictHeadDto): string {
  return `${h.actor} on ${h.this_device ? 'this laptop' : `laptop ${h.device_id.slice(0, 8)}`}`;
}

function Conflict({ c }: { c: ConflictDto }) {
  const fields = c.fields.filter((f) => !f.startsWith('('));
  const [other, setOther] = useState<Record<string, string>>({});
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const resolve = async (resolution: ConflictResolution, auto: string) => {
    setBusy(true); setError(null);
    const r = await call('sync.resolveConflict', { entity_type: c.entity_type, entity_id: c.entity_id, resolution, reason: reason.trim() || auto });
    setBusy(false);
    if (r.ok) useSync.setState({ status: r.value }); else setError(r.error.message);
  };
  const keep = (h: ConflictHeadDto) => {
    if (h.kind === 'voided') return resolve({ void: true }, `Sync conflict: kept the void by ${who(h)}`);
    if (h.kind === 'restored') return resolve({ restore: true }, `Sync conflict: kept the restore by ${who(h)}`);
    return resolve({ patch: h.values ?? {} }, `Sync conflict: kept the value from ${who(h)}`);
  };
  const enterOther = () => {
    const patch: Record<string, unknown> = {};
    for (const f of fields) {
      const raw = (other[f] ?? '').trim();
      if (!raw) continue;
      const cur = c.current[f] ?? c.heads.find((h) => h.values && f in h.values)?.values?.[f];
      patch[f] = typeof cur === 'number' ? Number(raw.replace(',', '.')) : raw;
    }
    if (Object.keys(patch).length === 0) { setError('Enter a value first.'); return; }
    void resolve({ patch }, 'Sync conflict: entered the right value');
  };
  return (
    <div className="conflict" data-testid="sync-conflict">
      <h2>{c.label}</h2>
      <div className="muted small">{c.voided ? 'Voided now. ' : ''}Conflicting: {c.fields.map(label).join(', ')}</div>
      <table className="grid">
        <thead>
          <tr>{fields.map((f) => <th key={f} className="num">{label(f)}</th>)}{fields.length === 0 && <th>Change</th>}<th>Who, where</th><th>When</th><th>Reason given</th><th /></tr>
        </thead>
        <tbody>
          {c.heads.map((h) => (
            <tr key={h.event_id}>
              {fields.map((f) => <td key={f} className="value num">{h.kind === 'voided' ? 'voided' : h.values && f in h.values ? show(h.values[f]) : <span className="muted">unchanged</span>}</td>)}
              {fields.length === 0 && <td className="value">{h.kind === 'voided' ? 'voided the record' : h.kind === 'restored' ? 'restored the record' : 'corrected'}</td>}
              <td>{who(h)}{h.winner && <span className="tag" title="Every laptop shows this value until the conflict is resolved">shown now</span>}</td>
              <td className="small">{when(h.made_at)}</td>
              <td className="small">{h.reason ?? <span className="muted">—</span>}</td>
              <td><button type="button" disabled={busy} onClick={() => void keep(h)} data-testid="keep-value">{h.kind === 'voided' ? 'Keep it voided' : h.kind === 'restored' ? 'Keep it restored' : 'Keep this value'}</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="other">
        {fields.map((f) => (
          <label key={f}>{`Another ${label(f).replace(/^./, (x) => x.toLowerCase())}`}
            <input value={other[f] ?? ''} inputMode="decimal" onChange={(e) => setOther({ ...other, [f]: e.target.value })} data-testid={`other-${f}`} />
          </label>
        ))}
        <label>Reason (optional)
          <input className="reason" value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. checked the weighing sheet" />
        </label>
        {fields.length > 0 && <button type="button" disabled={busy} onClick={enterOther} data-testid="enter-other">Use this value</button>}
        <button type="button" disabled={busy || c.voided} onClick={() => void resolve({ void: true }, 'Sync conflict: the record was voided')} data-testid="void-record">Void the record</button>
      </div>
      {error && <p className="msg bad">{error}</p>}
    </div>
  );
}

function Rejected({ list }: { list: RejectedEventDto[] }) {
  if (list.length === 0) return null;
  return (
    <div className="card" data-testid="sync-rejected">
      <h2>Rejected by the server ({list.length})</h2>
      <p className="muted small" style={{ marginTop: 0 }}>
        The server could not accept these changes. They stay on this laptop only, are not sent again and do not hold up other changes.
        If one is needed, enter it again correctly.
      </p>
      <ul className="rejected-list">
        {list.map((r) => (
          <li key={r.event_id}>
            <strong>{r.label}</strong> <span className="muted small">— {r.type.replace(/^.*\./, '')} by {r.actor}, rejected {when(r.rejected_at)}</span>
            <div className="reason">{plainReason(r.reason)}</div>
            {plainReason(r.reason) !== r.reason && <div className="muted small">Server's words: {r.reason}</div>}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The server's reason in words a site manager can act on (the exact words are shown below it). */
function plainReason(reason: string): string {
  if (/FOREIGN KEY/i.test(reason)) return 'It refers to something the server does not have (a pen, batch or assignment that was never synced or was removed).';
  if (/^built on rejected event/i.test(reason)) return 'It changes a record whose earlier change was rejected, so it was rejected too.';
  if (/larger than|too large/i.test(reason)) return 'It is too large to send.';
  if (/already received with another payload/i.test(reason)) return 'The server already has a different version of this change (a software fault: please report it).';
  if (/UNIQUE/i.test(reason)) return 'The server already has a record with the same identity.';
  return reason;
}
