/** The measurement kinds the data-entry forms offer, and their fields in keyboard order. */
import type { MeasurementMethod } from '../../backend/api/contract';
import { fmtWeight } from '../format';

export type FieldType = 'assignment' | 'container' | 'dest' | 'date' | 'int' | 'number' | 'text' | 'select' | 'stage' | 'checkbox' | 'weights';
export interface FieldSpec { name: string; label: string; type: FieldType; unit?: string; required?: boolean; options?: [string, string][]; hint?: string }
export interface KindSpec { method: MeasurementMethod; label: string; entity: string; fields: FieldSpec[]; summary: (r: Record<string, unknown>) => string }

const note: FieldSpec = { name: 'note', label: 'Note', type: 'text' };
const num = (r: Record<string, unknown>, k: string) => (typeof r[k] === 'number' ? (r[k] as number) : null);

export const KINDS: KindSpec[] = [
  {
    method: 'sample', label: 'Growth sample', entity: 'growth_sample',
    fields: [
      { name: 'assignment_id', label: 'Container', type: 'assignment', required: true },
      { name: 'date', label: 'Date', type: 'date', required: true },
      { name: 'individual_weights_g', label: 'Fish weights', type: 'weights', unit: 'g', hint: 'one fish per line: weight, or weight and length (cm)' },
      { name: 'avg_weight_g', label: 'or mean weight', type: 'number', unit: 'g' },
      { name: 'std_dev_g', label: 'SD', type: 'number', unit: 'g' },
      { name: 'sample_size', label: 'Fish sampled', type: 'int' },
      { name: 'avg_length_cm', label: 'Mean length', type: 'number', unit: 'cm' },
      { name: 'informational', label: 'Informational only (does not anchor the weight)', type: 'checkbox' },
      note,
    ],
    summary: (r) => `${fmtWeight(num(r, 'avg_weight_g') ?? mean(r.individual_weights_g))}, n ${num(r, 'sample_size') ?? (Array.isArray(r.individual_weights_g) ? r.individual_weights_g.length : '?')}`,
  },
  {
    method: 'transfer', label: 'Transfer', entity: 'transfer',
    fields: [
      { name: 'source_assignment_id', label: 'From', type: 'assignment', required: true },
      { name: 'dest_assignment_id', label: 'To', type: 'dest', required: true },
      { name: 'date', label: 'Date', type: 'date', required: true },
      { name: 'count', label: 'Fish moved', type: 'int', required: true },
      { name: 'mortality_in_transfer', label: 'Died in transfer', type: 'int' },
      { name: 'measured_avg_weight_g', label: 'Measured mean weight', type: 'number', unit: 'g' },
      { name: 'measured_std_dev_g', label: 'Measured SD', type: 'number', unit: 'g' },
      { name: 'measured_sample_size', label: 'Fish weighed', type: 'int' },
      { name: 'selection_method', label: 'Selection', type: 'select', options: [['AVERAGE', 'Average (random)'], ['LARGEST', 'Largest fish'], ['SMALLEST', 'Smallest fish']] },
      { name: 'dest_stage', label: 'Destination stage', type: 'stage' },
      { name: 'closes_source', label: 'Source container is emptied', type: 'checkbox' },
      note,
    ],
    summary: (r) => `${fmtN(r.count)} fish${num(r, 'measured_avg_weight_g') !== null ? ` at ${fmtWeight(num(r, 'measured_avg_weight_g'))}` : ''}`,
  },
  {
    method: 'mortality', label: 'Mortality', entity: 'mortality',
    fields: [
      { name: 'assignment_id', label: 'Container', type: 'assignment' }, { name: 'date', label: 'Date', type: 'date', required: true },
      { name: 'count', label: 'Dead fish', type: 'int', required: true }, { name: 'cause', label: 'Cause', type: 'text' }, note,
    ],
    summary: (r) => `${fmtN(r.count)} dead${r.cause ? `, ${String(r.cause)}` : ''}`,
  },
  {
    method: 'feed', label: 'Feed', entity: 'feed',
    fields: [
      { name: 'assignment_id', label: 'Container', type: 'assignment' }, { name: 'date', label: 'Date', type: 'date', required: true },
      { name: 'kg', label: 'Feed given', type: 'number', unit: 'kg', required: true }, note,
    ],
    summary: (r) => `${fmtN(r.kg)} kg`,
  },
  {
    method: 'removal', label: 'Harvest / cull', entity: 'removal',
    fields: [
      { name: 'assignment_id', label: 'Container', type: 'assignment', required: true }, { name: 'date', label: 'Date', type: 'date', required: true },
      { name: 'kind', label: 'Kind', type: 'select', required: true, options: [['harvest', 'Harvest'], ['cull', 'Cull']] },
      { name: 'count', label: 'Fish removed', type: 'int', required: true }, { name: 'avg_weight_g', label: 'Mean weight', type: 'number', unit: 'g' },
      { name: 'closes_source', label: 'Container is emptied', type: 'checkbox' }, note,
    ],
    summary: (r) => `${String(r.kind)} ${fmtN(r.count)} fish${num(r, 'avg_weight_g') !== null ? ` at ${fmtWeight(num(r, 'avg_weight_g'))}` : ''}`,
  },
  {
    method: 'treatment', label: 'Weighing at treatment', entity: 'weighing',
    fields: [
      { name: 'assignment_id', label: 'Container', type: 'assignment', required: true }, { name: 'date', label: 'Date', type: 'date', required: true },
      { name: 'avg_weight_g', label: 'Mean weight', type: 'number', unit: 'g', required: true }, { name: 'sample_size', label: 'Fish weighed', type: 'int' },
      { name: 'kind', label: 'Kind', type: 'text' }, { name: 'treatment', label: 'Treatment', type: 'text' }, note,
    ],
    summary: (r) => fmtWeight(num(r, 'avg_weight_g')),
  },
  {
    method: 'anchor', label: 'Manual weight', entity: 'manual_anchor',
    fields: [
      { name: 'assignment_id', label: 'Container', type: 'assignment', required: true }, { name: 'date', label: 'Date', type: 'date', required: true },
      { name: 'avg_weight_g', label: 'Mean weight', type: 'number', unit: 'g', required: true }, note,
    ],
    summary: (r) => fmtWeight(num(r, 'avg_weight_g')),
  },
  {
    method: 'temperatureDaily', label: 'Temperature (daily mean)', entity: 'temperature_daily',
    fields: [
      { name: 'container_id', label: 'Container', type: 'container', required: true }, { name: 'date', label: 'Date', type: 'date', required: true },
      { name: 'mean_c', label: 'Mean temperature', type: 'number', unit: '°C', required: true },
    ],
    summary: (r) => `${fmtN(r.mean_c)} °C`,
  },
  {
    method: 'stageChange', label: 'Stage change', entity: 'stage_change',
    fields: [
      { name: 'assignment_id', label: 'Container', type: 'assignment', required: true }, { name: 'date', label: 'Date', type: 'date', required: true },
      { name: 'stage', label: 'New stage', type: 'stage', required: true }, note,
    ],
    summary: (r) => `→ ${String(r.stage)}`,
  },
  {
    method: 'placement', label: 'Placement', entity: 'placement',
    fields: [
      { name: 'assignment_id', label: 'Container', type: 'assignment', required: true }, { name: 'date', label: 'Date', type: 'date', required: true },
      { name: 'count', label: 'Fish placed', type: 'int', required: true }, { name: 'avg_weight_g', label: 'Mean weight', type: 'number', unit: 'g' }, note,
    ],
    summary: (r) => `${fmtN(r.count)} fish`,
  },
];

function fmtN(v: unknown): string { return typeof v === 'number' ? v.toLocaleString('en-GB', { maximumFractionDigits: 2 }) : '?'; }
function mean(v: unknown): number | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  return v.reduce((s: number, x) => s + Number(x), 0) / v.length;
}

export interface FishStats { n: number; weights: number[]; lengths: (number | null)[] | null; mean: number | null; sd: number | null; cv: number | null; k: number | null; bad: string | null }

/** Parses typed fish: "123" or "123 21.5" per line (weight g, length cm), or weights separated by spaces/commas. */
export function parseFish(text: string): FishStats {
  const lines = text.split(/\n/).map((l) => l.trim()).filter(Boolean);
  const tokens = lines.map((l) => l.split(/[\s,;]+/).filter(Boolean));
  const pairs = tokens.length > 0 && tokens.every((t) => t.length === 2) && tokens.length > 1;
  const weights: number[] = [];
  const lengths: (number | null)[] = [];
  let bad: string | null = null;
  for (const t of tokens) {
    const parts = pairs ? [t[0]!] : t;
    for (const p of parts) {
      const w = Number(p.replace(',', '.'));
      if (!Number.isFinite(w) || w <= 0) { bad ??= `"${p}" is not a weight`; continue; }
      weights.push(w);
    }
    if (pairs) { const l = Number(t[1]!.replace(',', '.')); if (!Number.isFinite(l) || l <= 0) { bad ??= `"${t[1]}" is not a length`; lengths.push(null); } else lengths.push(l); }
  }
  const n = weights.length;
  const mean = n ? weights.reduce((s, w) => s + w, 0) / n : null;
  const sd = n > 1 && mean !== null ? Math.sqrt(weights.reduce((s, w) => s + (w - mean) ** 2, 0) / (n - 1)) : null;
  const ks = pairs ? weights.map((w, i) => (lengths[i] ? (100 * w) / lengths[i]! ** 3 : null)).filter((k): k is number => k !== null) : [];
  return {
    n, weights, lengths: pairs ? lengths : null, mean, sd, cv: sd !== null && mean ? (sd / mean) * 100 : null,
    k: ks.length ? ks.reduce((s, k) => s + k, 0) / ks.length : null, bad,
  };
}
