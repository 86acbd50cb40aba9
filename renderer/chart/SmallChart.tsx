/** A small panel chart sharing the main chart's date range: lines, markers and bars, one path each. */
import { AxisBottom, AxisLeft } from '@visx/axis';
import { GridRows } from '@visx/grid';
import { Group } from '@visx/group';
import { scaleLinear, scaleUtc } from '@visx/scale';
import { memo } from 'react';
import { fmtMonth, numberFormat } from '../format';
import { barPath, linePath, markerPath, type Pt } from './paths';

export interface PanelSeries { label: string; pts: Pt[]; color: string; kind: 'line' | 'dashed' | 'markers' | 'bars' }

const M = { top: 8, right: 10, bottom: 24, left: 52 };

export const SmallChart = memo(function SmallChart({ title, unit, series, width, height = 150, x0, x1, zero, yFmt, testId, yCap, note, minSpan }: {
  title: string; unit: string; series: PanelSeries[]; width: number; height?: number; x0: number; x1: number; zero?: boolean; yCap?: number; note?: string; minSpan?: number;
  yFmt?: (v: number) => string; testId?: string;
}) {
  const innerW = Math.max(40, width - M.left - M.right);
  const innerH = height - M.top - M.bottom;
  let lo = Infinity, hi = -Infinity;
  for (const s of series) for (const [a, b] of s.pts) if (a >= x0 && a <= x1 && Number.isFinite(b)) { lo = Math.min(lo, b); hi = Math.max(hi, b); }
  if (yCap !== undefined) hi = Math.min(hi, yCap);
  const empty = !Number.isFinite(lo);
  if (empty) { lo = 0; hi = 1; }
  if (zero || series.some((s) => s.kind === 'bars')) { lo = Math.min(lo, 0); hi = Math.max(hi, 0); }
  if (minSpan !== undefined && hi - lo < minSpan) { const mid = (hi + lo) / 2; lo = mid - minSpan / 2; hi = mid + minSpan / 2; }
  if (lo === hi) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.08;
  const x = scaleUtc({ domain: [new Date(x0), new Date(x1)], range: [0, innerW] });
  const y = scaleLinear({ domain: [lo - (lo === 0 ? 0 : pad), hi + pad], range: [innerH, 0], nice: true });
  const fx = (v: number) => x(v);
  const fy = (v: number) => y(v);
  const barW = Math.max(2, Math.min(8, innerW / 120));
  const clip = `clip-${testId ?? title.replace(/\W/g, '')}`;
  return (
    <figure className="panel" data-testid={testId}>
      <figcaption>
        <span>{title} <span className="muted">({unit})</span></span>
        {note && <span className="muted small">{note}</span>}
        <span className="legend">{series.map((s) => <span key={s.label}><i className={`sw ${s.kind}`} style={{ borderColor: s.color, background: s.kind === 'markers' || s.kind === 'bars' ? s.color : undefined }} />{s.label}</span>)}</span>
      </figcaption>
      <svg width={width} height={height}>
        <defs><clipPath id={clip}><rect width={innerW} height={innerH} /></clipPath></defs>
        <Group left={M.left} top={M.top}>
          <GridRows scale={y} width={innerW} numTicks={4} stroke="#eef0f2" />
          {zero && <line x1={0} x2={innerW} y1={y(0)} y2={y(0)} stroke="#9aa0a6" />}
          <g clipPath={`url(#${clip})`}>
            {series.map((s) => {
              if (s.kind === 'markers') return <path key={s.label} d={markerPath(s.pts, fx, fy, 'circle', 2.5)} fill={s.color} fillOpacity={0.8} />;
              if (s.kind === 'bars') return <path key={s.label} d={barPath(s.pts, fx, fy, 0, barW)} fill={s.color} fillOpacity={0.75} />;
              return <path key={s.label} d={linePath(s.pts, fx, fy)} fill="none" stroke={s.color} strokeWidth={1.6} strokeDasharray={s.kind === 'dashed' ? '5 3' : undefined} />;
            })}
          </g>
          {empty && <text x={innerW / 2} y={innerH / 2} textAnchor="middle" className="muted" fontSize={12}>no data in this range</text>}
          <AxisLeft scale={y} numTicks={4} tickFormat={(v) => (yFmt ? yFmt(Number(v)) : stepFmt(Number(v), y.ticks(4)))} stroke="#c0c4ca" tickStroke="#c0c4ca" tickLabelProps={{ fontSize: 10, fill: '#555' }} />
          <AxisBottom top={innerH} scale={x} numTicks={Math.max(2, Math.floor(innerW / 90))} tickFormat={(v) => fmtMonth(+(v as Date))} stroke="#c0c4ca" tickStroke="#c0c4ca" tickLabelProps={{ fontSize: 10, fill: '#555' }} />
        </Group>
      </svg>
    </figure>
  );
});

/** Tick labels with as many decimals as the tick step needs. */
function stepFmt(v: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  const digits = Math.max(0, Math.min(4, -Math.floor(Math.log10(step || 1))));
  return numberFormat(digits, digits).format(v);
}
