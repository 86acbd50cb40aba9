/**
 * The batch document (`aquamind-site/batch@1`) and the states document (`aquamind-site/states@1`):
 * the engine's file interface, field for field as ../shared/spec/batch-document.md names them.
 * Wire names stay snake_case; units are in the names (g, cm, kg, c).
 */

export type IsoDate = string; // YYYY-MM-DD, site-local
export type Environment = 'freshwater' | 'sea';
export type SelectionMethod = 'AVERAGE' | 'LARGEST' | 'SMALLEST';
export type RemovalKind = 'harvest' | 'cull';

export interface SiteDoc {
  id: string;
  name?: string;
  timezone?: string | null;
  /** Coefficient of variation of individual weights, for LARGEST/SMALLEST selection factors. */
  weight_cv?: number | null;
}

export interface BatchInfoDoc {
  id: string;
  name?: string;
  species?: string;
  start_date: IsoDate;
}

export interface StageDoc {
  name: string;
  order: number;
  min_weight_g: number;
  max_weight_g: number;
  feeds: boolean;
  duration_days?: number | null;
  environment: Environment;
  baseline_tgc?: number | null;
}

export interface FcrBandDoc {
  stage: string;
  min_weight_g: number;
  max_weight_g: number;
  fcr: number;
}

export interface ProfilePointDoc {
  day_of_year: number;
  temp_c: number;
}

export interface ScenarioDoc {
  id: string;
  name?: string;
  start_date: IsoDate;
  start_count: number;
  start_weight_g: number;
  start_stage: string;
  duration_days: number;
  harvest_weight_g: number;
  tgc_by_stage: Record<string, number>;
  mortality_rate_by_stage?: Record<string, number> | null;
  fcr_by_stage?: Record<string, number> | null;
  fcr_bands?: FcrBandDoc[] | null;
  temperature_profile: { points?: ProfilePointDoc[] | null; freshwater_c?: number | null };
}

export interface ContainerDoc {
  id: string;
  name?: string;
  kind?: string;
  environment: Environment;
}

export interface AssignmentDoc {
  id: string;
  container_id: string;
  stage?: string | null;
}

export interface PlacementDoc {
  id: string;
  assignment_id: string;
  date: IsoDate;
  count: number;
  avg_weight_g?: number | null;
}

export interface TransferDoc {
  id: string;
  date: IsoDate;
  source_assignment_id: string;
  dest_assignment_id: string;
  count: number;
  mortality_in_transfer?: number | null;
  measured_avg_weight_g?: number | null;
  measured_std_dev_g?: number | null;
  measured_sample_size?: number | null;
  measured_avg_length_cm?: number | null;
  selection_method?: SelectionMethod | null;
  dest_stage?: string | null;
  closes_source?: boolean | null;
  source_population_before?: number | null;
}

export interface RemovalDoc {
  id: string;
  assignment_id: string;
  date: IsoDate;
  count: number;
  kind: RemovalKind;
  avg_weight_g?: number | null;
  closes_source?: boolean | null;
}

export interface GrowthSampleDoc {
  id: string;
  assignment_id: string;
  date: IsoDate;
  sample_size?: number | null;
  avg_weight_g?: number | null;
  std_dev_g?: number | null;
  avg_length_cm?: number | null;
  condition_factor?: number | null;
  individual_weights_g?: number[] | null;
  individual_lengths_cm?: (number | null)[] | null;
  corrective?: boolean | null;
}

export interface WeighingDoc {
  id: string;
  assignment_id: string;
  date: IsoDate;
  avg_weight_g: number;
  sample_size?: number | null;
  kind?: string | null;
}

export interface ManualAnchorDoc {
  id: string;
  assignment_id: string;
  date: IsoDate;
  avg_weight_g: number;
  note?: string | null;
}

export interface MortalityDoc {
  id: string;
  assignment_id?: string | null;
  date: IsoDate;
  count: number;
  cause?: string | null;
}

export interface FeedDoc {
  id: string;
  assignment_id?: string | null;
  container_id?: string | null;
  date: IsoDate;
  kg: number;
}

export interface TemperatureReadingDoc {
  container_id: string;
  timestamp: string;
  value: number;
}

export interface TemperatureDailyDoc {
  container_id: string;
  date: IsoDate;
  mean_c: number;
}

export interface StageChangeDoc {
  id: string;
  assignment_id: string;
  date: IsoDate;
  stage: string;
}

export interface BatchDocument {
  format: 'aquamind-site/batch@1';
  as_of?: IsoDate | null;
  site: SiteDoc;
  batch: BatchInfoDoc;
  stages?: StageDoc[] | null;
  scenario: ScenarioDoc;
  containers: ContainerDoc[];
  assignments: AssignmentDoc[];
  placements?: PlacementDoc[] | null;
  transfers?: TransferDoc[] | null;
  removals?: RemovalDoc[] | null;
  growth_samples?: GrowthSampleDoc[] | null;
  weighings?: WeighingDoc[] | null;
  manual_anchors?: ManualAnchorDoc[] | null;
  mortality?: MortalityDoc[] | null;
  feed?: FeedDoc[] | null;
  temperature_readings?: TemperatureReadingDoc[] | null;
  temperature_daily?: TemperatureDailyDoc[] | null;
  stage_changes?: StageChangeDoc[] | null;
}

// ---------------------------------------------------------------------------------------------
// Output

export type WeightSource =
  | 'growth_sample' | 'transfer' | 'weighing' | 'manual' | 'harvest' | 'inflow' | 'bridged' | 'model';
export type AnchorType = 'growth_sample' | 'transfer' | 'weighing' | 'manual' | 'harvest';
export type TempSource = 'measured' | 'interpolated' | 'nearest' | 'profile';
export type MortalitySource = 'recorded' | 'model';
export type FeedSource = 'recorded' | 'none';

export interface AssignmentState {
  date: IsoDate;
  day_number: number;
  stage: string;
  avg_weight_g: number;
  population: number;
  biomass_kg: number;
  temp_c: number;
  deaths: number;
  feed_kg: number;
  growth_kg: number;
  anchor_type: AnchorType | null;
  count_deviation: number;
  sources: { weight: WeightSource; temp: TempSource; mortality: MortalitySource; feed: FeedSource };
  confidence: { weight: number; temp: number; mortality: number; feed: number; overall: number };
  /** Fractional model-mortality carried into the next day (spec 3.2); lets a recompute resume here. */
  mortality_carry: number;
}

export interface AssignmentSeries {
  assignment_id: string;
  container_id: string;
  states: AssignmentState[];
}

export interface BatchState {
  date: IsoDate;
  day_number: number;
  avg_weight_g: number | null;
  population: number;
  biomass_kg: number;
  container_count: number;
  feed_kg: number;
  growth_kg: number;
  deaths: number;
}

export interface WeekRow {
  week_start: IsoDate;
  week_end: IsoDate;
  avg_weight_g: number | null;
  population: number;
  biomass_kg: number;
  feed_kg: number;
  growth_kg: number;
  deaths: number;
}

export interface AnchorRow {
  assignment_id: string;
  date: IsoDate;
  type: AnchorType;
  /** Record ids that made the anchor (several of the winning kind combine). */
  record_ids: string[];
  measured_g: number;
  modeled_g: number;
  residual_g: number;
  residual_pct: number;
  realized_tgc: number | null;
}

export interface FcrRow {
  assignment_id: string;
  window: 'span' | '7d' | '30d';
  from: IsoDate;
  to: IsoDate;
  feed_kg: number;
  growth_kg: number;
  fcr: number | null;
}

export interface ScenarioState {
  date: IsoDate;
  day_number: number;
  stage: string;
  avg_weight_g: number;
  population: number;
  biomass_kg: number;
  feed_kg: number | null;
  growth_kg: number;
  temp_c: number;
}

export interface VarianceRow {
  date: IsoDate;
  actual_g: number;
  scenario_g: number;
  diff_g: number;
  diff_pct: number;
  days_ahead: number | null;
}

export interface ForecastState {
  date: IsoDate;
  day_number: number;
  stage: string;
  avg_weight_g: number;
  population: number;
  biomass_kg: number;
  temp_c?: number;
}

export interface ForecastSeries {
  eta: Record<string, IsoDate>;
  states: ForecastState[];
}

export interface Warning {
  record: string;
  field?: string;
  /** The day a computed warning is about (absent for warnings about the input itself). */
  date?: IsoDate;
  message: string;
}

export interface InputError {
  record: string;
  field: string;
  message: string;
}

export interface StatesDocument {
  format: 'aquamind-site/states@1';
  engine_version: string;
  batch_id: string;
  as_of: IsoDate;
  assignments: AssignmentSeries[];
  batch: BatchState[];
  weekly: { batch: WeekRow[]; assignments: { assignment_id: string; weeks: WeekRow[] }[] };
  anchors: AnchorRow[];
  fcr: FcrRow[];
  scenario: ScenarioState[];
  variance: VarianceRow[];
  forecast: {
    batch: ForecastSeries;
    assignments: (ForecastSeries & { assignment_id: string; temp_bias_c: number })[];
  };
  warnings: Warning[];
}
