import { useEffect } from 'react';
import type { BatchSummary } from '../../backend/api/contract';
import { fmtConf, fmtDate, fmtInt, fmtMass, fmtWeight, varianceText } from '../format';
import { navigate, refreshBatches, useApp } from '../store';

export function SiteOverview() {
  const batches = useApp((s) => s.batches);
  const site = useApp((s) => s.site);
  // opening the overview shows fresh KPIs; while it is open, states.fresh refreshes them (store.ts)
  useEffect(() => { if (useApp.getState().site) void refreshBatches(); }, []);
  if (!site) return <p className="loading">Opening the site…</p>;
  return (
    <section className="overview">
      <h1>Batches</h1>
      {batches.length === 0 && <p className="muted">No batches on this site yet.</p>}
      <table className="grid" data-testid="batch-table">
        <thead>
          <tr>
            <th>Batch</th><th>Stage</th><th className="num">Age</th><th className="num">Avg weight</th><th className="num">Population</th>
            <th className="num">Biomass</th><th>Vs scenario</th><th>ETA harvest</th><th>Last sample</th><th className="num">Confidence</th>
          </tr>
        </thead>
        <tbody>
          {batches.map((b) => <BatchRow key={b.id} b={b} today={site.today} />)}
        </tbody>
      </table>
      <p className="muted small">Values are as of each batch's last computed day. Click a batch for its Growth Analysis.</p>
    </section>
  );
}

function BatchRow({ b, today }: { b: BatchSummary; today: string }) {
  const k = b.kpi;
  const open = () => navigate({ screen: 'batch', batchId: b.id });
  const sampleAge = k?.last_sample_date ? Math.round((Date.parse(today) - Date.parse(k.last_sample_date)) / 86_400_000) : null;
  return (
    <tr className="clickable" onClick={open} onKeyDown={(e) => { if (e.key === 'Enter') open(); }} tabIndex={0} data-batch={b.id}>
      <td><strong>{b.name}</strong><div className="muted small">{b.species} · started {fmtDate(b.start_date)}{b.stale ? ' · recomputing…' : ''}{b.errors.length ? ` · ${b.errors.length} input error${b.errors.length > 1 ? 's' : ''}` : ''}</div></td>
      <td>{k?.stage ?? '—'}<div className="muted small">{k ? `${k.container_count} container${k.container_count === 1 ? '' : 's'}` : ''}</div></td>
      <td className="num">{k ? `${k.age_days} d` : '—'}</td>
      <td className="num">{fmtWeight(k?.avg_weight_g)}</td>
      <td className="num">{fmtInt(k?.population)}</td>
      <td className="num">{fmtMass(k?.biomass_kg)}</td>
      <td className={k?.variance_pct == null ? '' : k.variance_pct < -2 ? 'bad' : k.variance_pct > 2 ? 'good' : ''}>{k ? varianceText(k.variance_pct, k.days_ahead) : '—'}</td>
      <td>{fmtDate(k?.eta_harvest)}</td>
      <td>{fmtDate(k?.last_sample_date)}{sampleAge !== null && <div className={sampleAge > 21 ? 'bad small' : 'muted small'}>{sampleAge === 0 ? 'today' : sampleAge === 1 ? 'yesterday' : `${sampleAge} days ago`}</div>}</td>
      <td className="num"><Confidence c={k?.confidence ?? null} /></td>
    </tr>
  );
}

export function Confidence({ c }: { c: number | null }) {
  if (c === null) return <>—</>;
  const cls = c >= 0.75 ? 'good' : c >= 0.5 ? '' : 'bad';
  return <span className={`conf ${cls}`} title="How well the numbers are backed by recent measurements">{fmtConf(c)}</span>;
}
