/** Kysely table types for the reads that go through Kysely (see migrations/sqlite/0001_init.sql). */
export interface SiteTable {
  id: string; name: string; timezone: string; weight_cv: number | null;
  default_duration_days: number; default_harvest_weight_g: number;
  default_tgc_by_stage: string; default_mortality_rate_by_stage: string; default_fcr_by_stage: string;
  default_fcr_bands: string; default_temperature_profile: string; voided: number; updated_by_event: string | null;
}
export interface ContainerTable { id: string; site_id: string; name: string; kind: string | null; environment: string; voided: number; updated_by_event: string | null }
export interface BatchTable { id: string; site_id: string; name: string; species: string; start_date: string; scenario_id: string | null; voided: number; updated_by_event: string | null }
export interface AssignmentTable { id: string; batch_id: string; container_id: string; stage: string | null; voided: number; updated_by_event: string | null }
export interface EventTable {
  event_id: string; device_id: string; device_seq: number; hlc: string; occurred_at: string; type: string; v: number;
  entity_type: string; entity_id: string; site_id: string; base_event_ids: string; actor: string; payload: string;
  payload_sha256: string; server_seq: number | null; received_at: string | null; effective_ts: string | null; deferred: number;
}
export interface BatchStateTable {
  batch_id: string; date: string; day_number: number; avg_weight_g: number | null; population: number; biomass_kg: number;
  container_count: number; feed_kg: number; growth_kg: number; deaths: number;
}
export interface AssignmentStateTable {
  assignment_id: string; date: string; batch_id: string; container_id: string; day_number: number; stage: string;
  avg_weight_g: number; population: number; biomass_kg: number; temp_c: number; deaths: number; feed_kg: number; growth_kg: number;
  anchor_type: string | null; count_deviation: number; mortality_carry: number;
  src_weight: string; src_temp: string; src_mortality: string; src_feed: string;
  conf_weight: number; conf_temp: number; conf_mortality: number; conf_feed: number; conf_overall: number;
}
export interface DirtyTable { batch_id: string; from_date: string; generation: number; failed_generation: number | null }

export interface DB {
  site: SiteTable;
  containers: ContainerTable;
  batches: BatchTable;
  assignments: AssignmentTable;
  events: EventTable;
  batch_states: BatchStateTable;
  assignment_states: AssignmentStateTable;
  dirty_batches: DirtyTable;
}
