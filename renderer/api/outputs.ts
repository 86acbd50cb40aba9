/**
 * Shapes of the Analysis fields the contract leaves as `unknown` (scenario, forecast, variance,
 * anchors, fcr, warnings). They mirror the engine's states document; the renderer may not import
 * the engine, so they are restated here and read defensively.
 */
import type { Analysis, IsoDate } from '../../backend/api/contract';

export interface ScenarioRow { date: IsoDate; day_number: number; stage: string; avg_weight_g: number; population: number; biomass_kg: number; feed_kg: number | null; growth_kg: number; temp_c: number }
export interface VarianceRow { date: IsoDate; actual_g: number; scenario_g: number; diff_g: number; diff_pct: number; days_ahead: number | null }
export interface ForecastRow { date: IsoDate; day_number: number; stage: string; avg_weight_g: number; population: number; biomass_kg: number; temp_c?: number }
export interface ForecastSeries { eta: Record<string, IsoDate>; states: ForecastRow[] }
export interface Forecast { batch: ForecastSeries; assignments: (ForecastSeries & { assignment_id: string; temp_bias_c: number })[] }
export type AnchorType = 'growth_sample' | 'transfer' | 'weighing' | 'manual' | 'harvest';
export interface AnchorRow { assignment_id: string; date: IsoDate; type: AnchorType; record_ids: string[]; measured_g: number; modeled_g: number; residual_g: number; residual_pct: number; realized_tgc: number | null }
export interface FcrRow { assignment_id: string; window: 'span' | '7d' | '30d'; from: IsoDate; to: IsoDate; feed_kg: number; growth_kg: number; fcr: number | null }
export interface WarningRow { record: string; field?: string; date?: IsoDate; message: string }

export interface Outputs {
  scenario: ScenarioRow[]; variance: VarianceRow[]; forecast: Forecast | null; anchors: AnchorRow[]; fcr: FcrRow[]; warnings: WarningRow[];
}

const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

export function outputsOf(a: Pick<Analysis, 'scenario' | 'variance' | 'forecast' | 'anchors' | 'fcr' | 'warnings'>): Outputs {
  const f = a.forecast as Forecast | null;
  return {
    scenario: arr<ScenarioRow>(a.scenario), variance: arr<VarianceRow>(a.variance),
    forecast: f && typeof f === 'object' && f.batch && Array.isArray(f.batch.states) ? f : null,
    anchors: arr<AnchorRow>(a.anchors), fcr: arr<FcrRow>(a.fcr), warnings: arr<WarningRow>(a.warnings),
  };
}
