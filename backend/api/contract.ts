/**
 * The typed API of the local backend: the one contract every transport (in-process, Electron IPC,
 * WebSocket) uses. Plain TypeScript, JSON-safe DTOs (dates as `YYYY-MM-DD`, timestamps ISO 8601),
 * snake_case fields as in the batch document. The renderer imports only this file.
 */

export type IsoDate = string;
export type Environment = 'freshwater' | 'sea';

export type ErrorCode = 'invalid' | 'not_found' | 'conflict' | 'domain' | 'too_large' | 'unknown_method' | 'internal' | 'unavailable';
export interface ApiError { code: ErrorCode; message: string; field?: string; record?: string }
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

// ---------------------------------------------------------------------------------------------
// Site, stages, containers, scenarios, batches, assignments

export interface ProfilePoint { day_of_year: number; temp_c: number }
export interface TemperatureProfile { points?: ProfilePoint[] | null; freshwater_c?: number | null }
export interface FcrBand { stage: string; min_weight_g: number; max_weight_g: number; fcr: number }

export interface SiteFields {
  name: string;
  timezone: string;
  weight_cv: number | null;
  default_duration_days: number;
  default_harvest_weight_g: number;
  default_tgc_by_stage: Record<string, number>;
  default_mortality_rate_by_stage: Record<string, number>;
  default_fcr_by_stage: Record<string, number>;
  default_fcr_bands: FcrBand[];
  default_temperature_profile: TemperatureProfile;
}
export interface SiteDto extends SiteFields { id: string; today: IsoDate }

export interface StageDto {
  name: string; order: number; min_weight_g: number; max_weight_g: number; feeds: boolean;
  duration_days?: number | null; environment: Environment; baseline_tgc?: number | null;
}

export interface ContainerFields { name: string; kind?: string | null; environment: Environment }
export interface ContainerDto extends ContainerFields { id: string; voided: boolean }
export interface ContainerWithState extends ContainerDto {
  /** The assignment with fish in it on the as-of date, if any. */
  current: null | {
    batch_id: string; assignment_id: string; date: IsoDate; stage: string; avg_weight_g: number; population: number;
    biomass_kg: number; temp_c: number; confidence: number;
  };
}

export interface ScenarioFields {
  name: string;
  start_date?: IsoDate | null; start_count?: number | null; start_weight_g?: number | null; start_stage?: string | null;
  duration_days: number; harvest_weight_g: number;
  tgc_by_stage: Record<string, number>;
  mortality_rate_by_stage?: Record<string, number> | null;
  fcr_by_stage?: Record<string, number> | null;
  fcr_bands?: FcrBand[] | null;
  temperature_profile: TemperatureProfile;
}
export interface ScenarioDto extends ScenarioFields { id: string; voided: boolean }

export interface BatchFields { name: string; species?: string; start_date: IsoDate; scenario_id?: string | null }
export interface AssignmentDto { id: string; batch_id: string; container_id: string; stage: string | null; voided: boolean }
export interface BatchDto extends Required<BatchFields> { id: string; voided: boolean; assignments: AssignmentDto[] }

export interface BatchSummary {
  id: string; name: string; species: string; start_date: IsoDate; scenario_id: string | null;
  as_of: IsoDate | null;
  /** true while a recompute is pending: the KPIs are from the previous inputs. */
  stale: boolean;
  errors: { record: string; field: string; message: string }[];
  kpi: null | {
    stage: string | null; age_days: number; avg_weight_g: number | null; population: number; biomass_kg: number;
    container_count: number; variance_pct: number | null; days_ahead: number | null; eta_harvest: IsoDate | null;
    eta: Record<string, IsoDate>; last_sample_date: IsoDate | null; confidence: number | null;
  };
}

// ---------------------------------------------------------------------------------------------
// Measurements (the lists of the batch document)

interface Base { batch_id: string; date: IsoDate; note?: string | null }
export interface PlacementInput extends Base { assignment_id: string; count: number; avg_weight_g?: number | null }
export type SelectionMethod = 'AVERAGE' | 'LARGEST' | 'SMALLEST';
export interface TransferInput extends Base {
  source_assignment_id: string; dest_assignment_id: string; count: number; mortality_in_transfer?: number | null;
  measured_avg_weight_g?: number | null; measured_std_dev_g?: number | null; measured_sample_size?: number | null;
  measured_avg_length_cm?: number | null; selection_method?: SelectionMethod | null; dest_stage?: string | null;
  closes_source?: boolean | null; source_population_before?: number | null;
}
export interface RemovalInput extends Base {
  assignment_id: string; count: number; kind: 'harvest' | 'cull'; avg_weight_g?: number | null; closes_source?: boolean | null;
}
export interface SampleInput extends Base {
  assignment_id: string; sample_size?: number | null; avg_weight_g?: number | null; std_dev_g?: number | null;
  avg_length_cm?: number | null; condition_factor?: number | null;
  individual_weights_g?: number[] | null; individual_lengths_cm?: (number | null)[] | null;
  /** An informational sample is shown but does not anchor the weight. */
  informational?: boolean;
}
export interface TreatmentInput extends Base {
  assignment_id: string; avg_weight_g: number; sample_size?: number | null; kind?: string | null; treatment?: string | null;
}
export interface AnchorInput extends Base { assignment_id: string; avg_weight_g: number }
export interface MortalityInput extends Base { assignment_id?: string | null; count: number; cause?: string | null }
export interface FeedInput extends Base { assignment_id?: string | null; container_id?: string | null; kg: number }
export interface TemperatureInput { container_id: string; timestamp: string; value: number }
export interface TemperatureDailyInput { container_id: string; date: IsoDate; mean_c: number }
export interface StageChangeInput extends Base { assignment_id: string; stage: string }

export interface MeasurementInputs {
  placement: PlacementInput;
  transfer: TransferInput;
  removal: RemovalInput;
  sample: SampleInput;
  treatment: TreatmentInput;
  anchor: AnchorInput;
  mortality: MortalityInput;
  feed: FeedInput;
  temperature: TemperatureInput;
  temperatureDaily: TemperatureDailyInput;
  stageChange: StageChangeInput;
}
export type MeasurementMethod = keyof MeasurementInputs;

/** A stored record, as the UI lists it. */
export type RecordDto<M extends MeasurementMethod = MeasurementMethod> = MeasurementInputs[M] & {
  id: string; voided: boolean; updated_by_event: string | null;
};
export interface RecordRef { id: string; event_id: string; batch_ids: string[] }
/**
 * A temperature log (a logger file or an imported series: many readings in one event), listed,
 * voided and restored whole. `readings` counts those the engine keeps, `dropped` those outside
 * −3…40 °C (listed as temperature records, where each can be corrected or voided).
 */
export interface TemperatureLogDto {
  id: string; container_id: string; container_name: string; from: IsoDate; to: IsoDate;
  readings: number; dropped: number; mean_c: number | null; source: string | null; voided: boolean; updated_by_event: string | null;
}

type RecordMethods = { [M in MeasurementMethod as `${M}.record`]: { args: MeasurementInputs[M] & { id?: string }; result: RecordRef } };
type CorrectMethods = {
  [M in MeasurementMethod as `${M}.correct`]: { args: { id: string; patch: Partial<Omit<MeasurementInputs[M], 'batch_id'>>; reason: string }; result: RecordRef };
};
type VoidMethods = { [M in MeasurementMethod as `${M}.void`]: { args: { id: string; reason: string }; result: RecordRef } };
type RestoreMethods = { [M in MeasurementMethod as `${M}.restore`]: { args: { id: string; reason: string }; result: RecordRef } };

// ---------------------------------------------------------------------------------------------
// Queries

export interface StateDto {
  date: IsoDate; day_number: number; stage: string; avg_weight_g: number; population: number; biomass_kg: number;
  temp_c: number; deaths: number; feed_kg: number; growth_kg: number; anchor_type: string | null; count_deviation: number;
  sources: { weight: string; temp: string; mortality: string; feed: string };
  confidence: { weight: number; temp: number; mortality: number; feed: number; overall: number };
}
export interface BatchStateDto {
  date: IsoDate; day_number: number; avg_weight_g: number | null; population: number; biomass_kg: number;
  container_count: number; feed_kg: number; growth_kg: number; deaths: number;
}
export interface WeekDto {
  week_start: IsoDate; week_end: IsoDate; avg_weight_g: number | null; population: number; biomass_kg: number;
  feed_kg: number; growth_kg: number; deaths: number;
}
export interface SampleDto {
  id: string; assignment_id: string; container_id: string; date: IsoDate; sample_size: number | null;
  avg_weight_g: number | null; std_dev_g: number | null; cv_pct: number | null; avg_length_cm: number | null;
  condition_factor: number | null; informational: boolean; individual_count: number;
}

export interface AnalysisArgs {
  batch_id: string; from?: IsoDate; to?: IsoDate; granularity?: 'daily' | 'weekly'; assignments?: boolean;
  /** Which FCR windows to return (default all: span, 7d, 30d; the 7d and 30d rows are per container-day). */
  fcr_windows?: ('span' | '7d' | '30d')[];
  /** Whether `forecast.assignments` carries the per-assignment forecasts (default true). */
  forecast_assignments?: boolean;
  /**
   * Only the per-assignment parts (states, per-assignment FCR rows and forecasts): the batch line,
   * scenario, samples, variance and anchors come back empty. For a second call after the batch's own.
   */
  only_assignments?: boolean;
}

/**
 * One assignment's daily states column by column: one array per StateDto field, one entry per day
 * (`src_*` and `conf_*` are the `sources` and `confidence` fields). A sea batch's drilldown is
 * ~5,000 days; as objects it was a multi-MB message that stalled the window for a while.
 */
export interface StateColumns {
  date: IsoDate[]; day_number: number[]; stage: string[]; avg_weight_g: number[]; population: number[]; biomass_kg: number[];
  temp_c: number[]; deaths: number[]; feed_kg: number[]; growth_kg: number[]; anchor_type: (string | null)[]; count_deviation: number[];
  src_weight: string[]; src_temp: string[]; src_mortality: string[]; src_feed: string[];
  conf_weight: number[]; conf_temp: number[]; conf_mortality: number[]; conf_feed: number[]; conf_overall: number[];
}
export interface AssignmentSeriesDto { assignment_id: string; container_id: string; columns: StateColumns }
export interface Analysis {
  batch: { id: string; name: string; start_date: IsoDate; scenario_id: string | null };
  as_of: IsoDate | null; engine_version: string | null; computed_at: string | null; stale: boolean;
  errors: { record: string; field: string; message: string }[];
  range: { from: IsoDate; to: IsoDate };
  samples: SampleDto[];
  scenario: unknown[];
  actual: { granularity: 'daily'; rows: BatchStateDto[] } | { granularity: 'weekly'; rows: WeekDto[] };
  assignments: AssignmentSeriesDto[];
  forecast: unknown;
  variance: unknown[];
  eta: Record<string, IsoDate>;
  anchors: unknown[];
  fcr: unknown[];
  warnings: unknown[];
}

export interface HistoryEntry {
  event_id: string; type: string; v: number; hlc: string; occurred_at: string; actor: string; device_id: string;
  device_seq: number; reason: string | null; payload: unknown; base_event_ids: string[];
}

export interface RecomputeStatus {
  dirty: { batch_id: string; from_date: IsoDate; generation: number; failed: boolean }[];
  errors: { batch_id: string; record: string; field: string; message: string }[];
}

// ---------------------------------------------------------------------------------------------
// CSV import and export

export type CsvImportKind = 'temperature' | 'feed';
/**
 * A CSV file (≤ 20 MB of text) and the user's mapping field → column name. Temperature fields:
 * container_id | container_name, timestamp | date, value, and optionally parameter (rows whose
 * parameter is not a temperature name are skipped). Feed fields: date, container_id | assignment_id,
 * kg, and optionally batch_id.
 */
export interface CsvImportArgs {
  kind: CsvImportKind;
  csv: string;
  map: Record<string, string>;
  /** Sniffed from the header line when absent. */
  delimiter?: ',' | ';' | '\t';
  /** Parameter names meaning a temperature (case-insensitive); a built-in list when absent. */
  parameter_names?: string[];
  /** import.progress every this many rows (default 10,000). */
  progress_every?: number;
}
/** One problem of one row: row numbers as a spreadsheet shows them (the header is row 1). */
export interface CsvProblem { row: number; column?: string; field?: string; message: string }
export interface CsvMappedRow { row: number; values: Record<string, unknown>; problems: CsvProblem[] }
export interface CsvPreview {
  kind: CsvImportKind; delimiter: string; header: string[];
  total_rows: number; good_rows: number; bad_rows: number; skipped_rows: number;
  /** The first N rows (default 20) as mapped, each with its problems. */
  rows: CsvMappedRow[];
  /** Problems of every row (at most 1,000). */
  problems: CsvProblem[];
}
export interface CsvCommitResult {
  kind: CsvImportKind; total_rows: number; committed_rows: number; bad_rows: number; skipped_rows: number;
  events: number; batch_ids: string[];
  /** The bad rows' problems (at most 1,000); those rows were not written. */
  problems: CsvProblem[];
}
export interface ExportActualArgs { batch_id: string; granularity?: 'daily' | 'weekly'; assignment_id?: string; from?: IsoDate; to?: IsoDate }
export interface ExportActual { columns: string[]; rows: number; csv: string }

// ---------------------------------------------------------------------------------------------
// Sync with the central server (spec/sync.md)

/** One side of a conflict: a correction (its values of the conflicting fields) or a void/restore. */
export interface ConflictHeadDto {
  event_id: string;
  kind: 'recorded' | 'corrected' | 'voided' | 'restored';
  /** Who made the edit (the app's actor name). */
  actor: string;
  /** Which laptop: its device id, and whether it is this one. */
  device_id: string;
  this_device: boolean;
  /** When the edit was made: server-corrected device time, or this laptop's clock while unsent. */
  made_at: string | null;
  /** The conflicting fields' values in this edit (null for a void or restore). */
  values: Record<string, unknown> | null;
  reason: string | null;
  /** The provisional winner every laptop shows until someone resolves the conflict. */
  winner: boolean;
}
export interface ConflictDto {
  entity_type: string;
  entity_id: string;
  /** What the record is, for people: "Growth sample 1 Mar 2025 · Pen 1 · Batch 1". */
  label: string;
  /** The fields both edits changed; "(voided)" for a void against a correction. */
  fields: string[];
  /** The values the app shows now (the provisional winner's), and whether the record is voided. */
  current: Record<string, unknown>;
  voided: boolean;
  heads: ConflictHeadDto[];
  /** How to resolve it (sync.resolveConflict): `patch` is the correction's field names and values. */
  method: string | null;
}
export interface RejectedEventDto {
  event_id: string; type: string; entity_type: string; entity_id: string; label: string; actor: string;
  occurred_at: string; reason: string; rejected_at: string;
}
export interface SyncStatusDto {
  /** A server URL and token are stored. */
  configured: boolean;
  server_url: string | null;
  /** A token is stored (the token itself is never returned). */
  token_set: boolean;
  device_id: string;
  /** Local events not yet accepted by the server (rejected ones excluded). */
  pending: number;
  last_sync_at: string | null;
  last_push_at: string | null;
  last_pull_at: string | null;
  last_error: string | null;
  /** The server was reachable on the last request (null: no request yet, or sync not set up). */
  online: boolean | null;
  /** A push or pull is running now. */
  in_flight: boolean;
  next_attempt_at: string | null;
  rejected: RejectedEventDto[];
  conflicts: ConflictDto[];
  /** Pulled events of a newer app version, kept until this app is updated. */
  deferred: number;
  /** This computer's clock is more than 5 minutes off the server's. */
  clock_warning: boolean;
}
export interface SyncNowResult {
  push: { sent: number; accepted: number; duplicate: number; rejected: number };
  pull: { pulled: number; pages: number };
  status: SyncStatusDto;
}
export type ConflictResolution = { patch: Record<string, unknown> } | { void: true } | { restore: true };

interface CoreApi {
  'site.get': { args: Record<string, never>; result: SiteDto };
  'site.update': { args: { patch: Partial<SiteFields>; reason?: string }; result: SiteDto };
  'stages.get': { args: Record<string, never>; result: StageDto[] };
  'stages.set': { args: { stages: StageDto[]; reason?: string }; result: StageDto[] };
  'container.list': { args: { include_voided?: boolean }; result: ContainerWithState[] };
  'container.create': { args: ContainerFields & { id?: string }; result: ContainerDto };
  'container.update': { args: { id: string; patch: Partial<ContainerFields>; reason: string }; result: ContainerDto };
  'scenario.list': { args: Record<string, never>; result: ScenarioDto[] };
  'scenario.create': { args: ScenarioFields & { id?: string }; result: ScenarioDto };
  'scenario.update': { args: { id: string; patch: Partial<ScenarioFields>; reason: string }; result: ScenarioDto };
  'batch.list': { args: Record<string, never>; result: BatchSummary[] };
  'batch.get': { args: { id: string }; result: BatchDto };
  'batch.create': { args: BatchFields & { id?: string }; result: BatchDto };
  'batch.update': { args: { id: string; patch: Partial<Omit<BatchFields, 'scenario_id'>>; reason: string }; result: BatchDto };
  /** Pin a scenario (null: the baseline from the site defaults). */
  'batch.pinScenario': { args: { id: string; scenario_id: string | null; reason?: string }; result: BatchDto };
  'assignment.create': { args: { id?: string; batch_id: string; container_id: string; stage?: string | null }; result: AssignmentDto };
  'assignment.update': { args: { id: string; patch: { container_id?: string; stage?: string | null }; reason: string }; result: AssignmentDto };
  /** Records by date and id, oldest first (`order: 'desc'`: newest first, e.g. the last few). */
  'records.list': { args: { batch_id: string; kind: MeasurementMethod; from?: IsoDate; to?: IsoDate; include_voided?: boolean; limit?: number; order?: 'asc' | 'desc' }; result: RecordDto[] };
  /** The temperature logs of the batch's containers, the most recently recorded first; `from`: those with readings on or after that day. */
  'temperatureLog.list': { args: { batch_id: string; from?: IsoDate; include_voided?: boolean; limit?: number }; result: TemperatureLogDto[] };
  'temperatureLog.void': { args: { id: string; reason: string }; result: RecordRef };
  'temperatureLog.restore': { args: { id: string; reason: string }; result: RecordRef };
  'analysis.get': { args: AnalysisArgs; result: Analysis };
  'record.history': { args: { entity_type: string; entity_id: string }; result: HistoryEntry[] };
  'recompute.status': { args: Record<string, never>; result: RecomputeStatus };
  /** Marks batches dirty (all when batch_id is absent) and waits until their states are fresh. */
  'recompute.run': { args: { batch_id?: string; full?: boolean }; result: RecomputeStatus };
  /** Maps and checks a CSV file without writing anything. */
  'import.preview': { args: CsvImportArgs & { rows?: number }; result: CsvPreview };
  /** Writes the good rows in one transaction, lists the bad ones, waits for the recompute. */
  'import.commit': { args: CsvImportArgs; result: CsvCommitResult };
  /** The Actual series as CSV: the batch or one assignment, daily or by ISO week. */
  'export.actual': { args: ExportActualArgs; result: ExportActual };
  /** Stores the server URL and this laptop's token (token optional when one is stored) and starts syncing; server_url null turns sync off. */
  'sync.configure': { args: { server_url: string | null; token?: string }; result: SyncStatusDto };
  'sync.status': { args: Record<string, never>; result: SyncStatusDto };
  /** One push/pull cycle now; a failure comes back as an `unavailable` error (the status keeps it too). */
  'sync.now': { args: Record<string, never>; result: SyncNowResult };
  /** Resolves a conflict with one edit built on every side: keep/enter values (patch), void, or restore. */
  'sync.resolveConflict': { args: { entity_type: string; entity_id: string; resolution: ConflictResolution; reason: string }; result: SyncStatusDto };
}

export type Api = CoreApi & RecordMethods & CorrectMethods & VoidMethods & RestoreMethods;
export type Method = keyof Api;
export type Args<K extends Method> = Api[K]['args'];
export type Ret<K extends Method> = Api[K]['result'];

// ---------------------------------------------------------------------------------------------
// Events the UI can subscribe to

export interface ApiEvents {
  'states.fresh': { batch_id: string; as_of: IsoDate; changed_states: number; errors: number; ms: number };
  'recompute.progress': { batch_id: string; done: number; total: number };
  'data.changed': { entity_type: string; entity_id: string; event_type: string; batch_ids: string[] };
  'import.progress': { phase: 'validate' | 'write' | 'recompute'; done: number; total: number };
  /** Sync status changed (pending count, last sync, errors, rejected events, conflicts). */
  'sync.status': SyncStatusDto;
}
export type ApiEventName = keyof ApiEvents;
