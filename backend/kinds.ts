/**
 * The entities of the site database: their projection table, columns, and (for measurements) the
 * batch-document list they mirror. One registry drives projection, document building and the API.
 */
export type ColType = 'text' | 'real' | 'int' | 'bool' | 'json';

export interface EntityKind {
  /** Event entity_type, e.g. `growth_sample` (events are `growth_sample.recorded` …). */
  entity: string;
  table: string;
  /** Payload fields stored as columns (besides `id`). */
  cols: Record<string, ColType>;
}

export interface MeasurementKind extends EntityKind {
  /** API method prefix: `sample.record`, `sample.correct`, … */
  method: string;
  /** The batch-document list this table mirrors, and the fields it carries there. */
  docList: 'placements' | 'transfers' | 'removals' | 'growth_samples' | 'weighings' | 'manual_anchors' | 'mortality' |
    'feed' | 'temperature_readings' | 'temperature_daily' | 'stage_changes';
  docFields: string[];
  /** Document rows carry an `id` (temperatures do not). */
  docHasId: boolean;
  /** Columns naming assignments (checked to belong to the batch). */
  assignmentCols: string[];
  /** Container-level (temperatures): no batch of its own; dirties every batch in the container. */
  containerLevel?: boolean;
}

const common = { batch_id: 'text', date: 'text', note: 'text' } as const;

export const MEASUREMENTS: readonly MeasurementKind[] = [
  {
    entity: 'placement', method: 'placement', table: 'placements', docList: 'placements', docHasId: true,
    cols: { ...common, assignment_id: 'text', count: 'int', avg_weight_g: 'real' },
    docFields: ['assignment_id', 'date', 'count', 'avg_weight_g'], assignmentCols: ['assignment_id'],
  },
  {
    entity: 'transfer', method: 'transfer', table: 'transfers', docList: 'transfers', docHasId: true,
    cols: {
      ...common, source_assignment_id: 'text', dest_assignment_id: 'text', count: 'int', mortality_in_transfer: 'int',
      measured_avg_weight_g: 'real', measured_std_dev_g: 'real', measured_sample_size: 'int', measured_avg_length_cm: 'real',
      selection_method: 'text', dest_stage: 'text', closes_source: 'bool', source_population_before: 'int',
    },
    docFields: ['date', 'source_assignment_id', 'dest_assignment_id', 'count', 'mortality_in_transfer', 'measured_avg_weight_g',
      'measured_std_dev_g', 'measured_sample_size', 'measured_avg_length_cm', 'selection_method', 'dest_stage', 'closes_source',
      'source_population_before'],
    assignmentCols: ['source_assignment_id', 'dest_assignment_id'],
  },
  {
    entity: 'removal', method: 'removal', table: 'removals', docList: 'removals', docHasId: true,
    cols: { ...common, assignment_id: 'text', count: 'int', kind: 'text', avg_weight_g: 'real', closes_source: 'bool' },
    docFields: ['assignment_id', 'date', 'count', 'kind', 'avg_weight_g', 'closes_source'], assignmentCols: ['assignment_id'],
  },
  {
    entity: 'growth_sample', method: 'sample', table: 'growth_samples', docList: 'growth_samples', docHasId: true,
    cols: {
      ...common, assignment_id: 'text', sample_size: 'int', avg_weight_g: 'real', std_dev_g: 'real', avg_length_cm: 'real',
      condition_factor: 'real', individual_weights_g: 'json', individual_lengths_cm: 'json', corrective: 'bool',
    },
    docFields: ['assignment_id', 'date', 'sample_size', 'avg_weight_g', 'std_dev_g', 'avg_length_cm', 'condition_factor',
      'individual_weights_g', 'individual_lengths_cm', 'corrective'],
    assignmentCols: ['assignment_id'],
  },
  {
    entity: 'weighing', method: 'treatment', table: 'weighings', docList: 'weighings', docHasId: true,
    cols: { ...common, assignment_id: 'text', avg_weight_g: 'real', sample_size: 'int', kind: 'text', treatment: 'text' },
    docFields: ['assignment_id', 'date', 'avg_weight_g', 'sample_size', 'kind'], assignmentCols: ['assignment_id'],
  },
  {
    entity: 'manual_anchor', method: 'anchor', table: 'manual_anchors', docList: 'manual_anchors', docHasId: true,
    cols: { ...common, assignment_id: 'text', avg_weight_g: 'real' },
    docFields: ['assignment_id', 'date', 'avg_weight_g', 'note'], assignmentCols: ['assignment_id'],
  },
  {
    entity: 'mortality', method: 'mortality', table: 'mortality', docList: 'mortality', docHasId: true,
    cols: { ...common, assignment_id: 'text', count: 'int', cause: 'text' },
    docFields: ['assignment_id', 'date', 'count', 'cause'], assignmentCols: ['assignment_id'],
  },
  {
    entity: 'feed', method: 'feed', table: 'feed', docList: 'feed', docHasId: true,
    cols: { ...common, assignment_id: 'text', container_id: 'text', kg: 'real' },
    docFields: ['assignment_id', 'container_id', 'date', 'kg'], assignmentCols: ['assignment_id'],
  },
  {
    entity: 'temperature_reading', method: 'temperature', table: 'temperature_readings', docList: 'temperature_readings', docHasId: false,
    cols: { batch_id: 'text', container_id: 'text', timestamp: 'text', date: 'text', value: 'real' },
    docFields: ['container_id', 'timestamp', 'value'], assignmentCols: [], containerLevel: true,
  },
  {
    entity: 'temperature_daily', method: 'temperatureDaily', table: 'temperature_daily', docList: 'temperature_daily', docHasId: false,
    cols: { batch_id: 'text', container_id: 'text', date: 'text', mean_c: 'real' },
    docFields: ['container_id', 'date', 'mean_c'], assignmentCols: [], containerLevel: true,
  },
  {
    entity: 'stage_change', method: 'stageChange', table: 'stage_changes', docList: 'stage_changes', docHasId: true,
    cols: { ...common, assignment_id: 'text', stage: 'text' },
    docFields: ['assignment_id', 'date', 'stage'], assignmentCols: ['assignment_id'],
  },
];

export const CORE: Record<'site' | 'container' | 'scenario' | 'batch' | 'assignment', EntityKind> = {
  site: {
    entity: 'site', table: 'site', cols: {
      name: 'text', timezone: 'text', weight_cv: 'real', default_duration_days: 'int', default_harvest_weight_g: 'real',
      default_tgc_by_stage: 'json', default_mortality_rate_by_stage: 'json', default_fcr_by_stage: 'json', default_fcr_bands: 'json',
      default_temperature_profile: 'json',
    },
  },
  container: { entity: 'container', table: 'containers', cols: { site_id: 'text', name: 'text', kind: 'text', environment: 'text' } },
  scenario: {
    entity: 'scenario', table: 'scenarios', cols: {
      site_id: 'text', name: 'text', start_date: 'text', start_count: 'int', start_weight_g: 'real', start_stage: 'text',
      duration_days: 'int', harvest_weight_g: 'real', tgc_by_stage: 'json', mortality_rate_by_stage: 'json', fcr_by_stage: 'json',
      fcr_bands: 'json', temperature_profile: 'json',
    },
  },
  batch: { entity: 'batch', table: 'batches', cols: { site_id: 'text', name: 'text', species: 'text', start_date: 'text', scenario_id: 'text' } },
  assignment: { entity: 'assignment', table: 'assignments', cols: { batch_id: 'text', container_id: 'text', stage: 'text' } },
};

/** A bulk entity: one event carries many temperature readings of one container (logger files, CSV). */
export const TEMPERATURE_LOG = 'temperature_log';
/** The site's stage table: one entity per site, payload `{ stages: [...] }`. */
export const STAGE_TABLE = 'stage_table';

export const ENTITY_BY_NAME = new Map<string, EntityKind>([
  ...MEASUREMENTS.map((k) => [k.entity, k] as const),
  ...Object.values(CORE).map((k) => [k.entity, k] as const),
]);
export const MEASUREMENT_BY_ENTITY = new Map(MEASUREMENTS.map((k) => [k.entity, k]));
export const MEASUREMENT_BY_METHOD = new Map(MEASUREMENTS.map((k) => [k.method, k]));

export function toColumn(t: ColType, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  switch (t) {
    case 'bool': return v ? 1 : 0;
    case 'json': return JSON.stringify(v);
    default: return v;
  }
}

export function fromColumn(t: ColType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (t) {
    case 'bool': return v === 1 || v === true;
    case 'json': return JSON.parse(v as string);
    default: return v;
  }
}
