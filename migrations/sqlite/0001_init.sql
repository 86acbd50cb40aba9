-- AquaMind Site: local database, schema 1.
-- Projections (site … stage_changes) are derived from the event log (`events`); states are derived
-- from the projections by the engine. Nothing is physically deleted: records carry `voided`.

CREATE TABLE site (
  id                       TEXT PRIMARY KEY,
  name                     TEXT NOT NULL,
  timezone                 TEXT NOT NULL DEFAULT 'UTC',
  weight_cv                REAL,
  -- default scenario parameters: the baseline of a batch without a pinned scenario
  default_duration_days    INTEGER NOT NULL DEFAULT 900,
  default_harvest_weight_g REAL NOT NULL DEFAULT 5000,
  default_tgc_by_stage     TEXT NOT NULL DEFAULT '{}',   -- JSON {stage: tgc}
  default_mortality_rate_by_stage TEXT NOT NULL DEFAULT '{}',
  default_fcr_by_stage     TEXT NOT NULL DEFAULT '{}',
  default_fcr_bands        TEXT NOT NULL DEFAULT '[]',
  default_temperature_profile TEXT NOT NULL DEFAULT '{"points":[{"day_of_year":1,"temp_c":10}]}',
  voided                   INTEGER NOT NULL DEFAULT 0,
  updated_by_event         TEXT
);

CREATE TABLE stages (
  site_id        TEXT NOT NULL REFERENCES site(id),
  name           TEXT NOT NULL,
  ord            INTEGER NOT NULL,
  min_weight_g   REAL NOT NULL,
  max_weight_g   REAL NOT NULL,
  feeds          INTEGER NOT NULL,
  duration_days  INTEGER,
  environment    TEXT NOT NULL CHECK (environment IN ('freshwater','sea')),
  baseline_tgc   REAL,
  updated_by_event TEXT,
  PRIMARY KEY (site_id, name)
) WITHOUT ROWID;

CREATE TABLE containers (
  id             TEXT PRIMARY KEY,
  site_id        TEXT NOT NULL REFERENCES site(id),
  name           TEXT NOT NULL,
  kind           TEXT,
  environment    TEXT NOT NULL CHECK (environment IN ('freshwater','sea')),
  voided         INTEGER NOT NULL DEFAULT 0,
  updated_by_event TEXT
);

CREATE TABLE scenarios (
  id                      TEXT PRIMARY KEY,
  site_id                 TEXT NOT NULL REFERENCES site(id),
  name                    TEXT NOT NULL,
  start_date              TEXT,          -- null: the batch's start date
  start_count             INTEGER,       -- null: the batch's first placements
  start_weight_g          REAL,
  start_stage             TEXT,
  duration_days           INTEGER NOT NULL,
  harvest_weight_g        REAL NOT NULL,
  tgc_by_stage            TEXT NOT NULL,  -- JSON
  mortality_rate_by_stage TEXT,           -- JSON
  fcr_by_stage            TEXT,           -- JSON
  fcr_bands               TEXT,           -- JSON
  temperature_profile     TEXT NOT NULL,  -- JSON
  voided                  INTEGER NOT NULL DEFAULT 0,
  updated_by_event        TEXT
);

CREATE TABLE batches (
  id             TEXT PRIMARY KEY,
  site_id        TEXT NOT NULL REFERENCES site(id),
  name           TEXT NOT NULL,
  species        TEXT NOT NULL DEFAULT 'Atlantic salmon',
  start_date     TEXT NOT NULL,
  scenario_id    TEXT REFERENCES scenarios(id),   -- pinned scenario; null = baseline from site defaults
  voided         INTEGER NOT NULL DEFAULT 0,
  updated_by_event TEXT
);

CREATE TABLE assignments (
  id             TEXT PRIMARY KEY,
  batch_id       TEXT NOT NULL REFERENCES batches(id),
  container_id   TEXT NOT NULL REFERENCES containers(id),
  stage          TEXT,
  voided         INTEGER NOT NULL DEFAULT 0,
  updated_by_event TEXT
);
CREATE INDEX assignments_batch ON assignments(batch_id);
CREATE INDEX assignments_container ON assignments(container_id);

-- Measurements: one table per list of the batch document.

CREATE TABLE placements (
  id TEXT PRIMARY KEY, batch_id TEXT NOT NULL REFERENCES batches(id),
  assignment_id TEXT NOT NULL REFERENCES assignments(id), date TEXT NOT NULL,
  count INTEGER NOT NULL, avg_weight_g REAL, note TEXT,
  voided INTEGER NOT NULL DEFAULT 0, updated_by_event TEXT
);
CREATE INDEX placements_batch ON placements(batch_id, date);
CREATE INDEX placements_assignment ON placements(assignment_id, date);

CREATE TABLE transfers (
  id TEXT PRIMARY KEY, batch_id TEXT NOT NULL REFERENCES batches(id), date TEXT NOT NULL,
  source_assignment_id TEXT NOT NULL REFERENCES assignments(id),
  dest_assignment_id TEXT NOT NULL REFERENCES assignments(id),
  count INTEGER NOT NULL, mortality_in_transfer INTEGER,
  measured_avg_weight_g REAL, measured_std_dev_g REAL, measured_sample_size INTEGER, measured_avg_length_cm REAL,
  selection_method TEXT, dest_stage TEXT, closes_source INTEGER, source_population_before INTEGER, note TEXT,
  voided INTEGER NOT NULL DEFAULT 0, updated_by_event TEXT
);
CREATE INDEX transfers_batch ON transfers(batch_id, date);
CREATE INDEX transfers_source ON transfers(source_assignment_id, date);
CREATE INDEX transfers_dest ON transfers(dest_assignment_id, date);

CREATE TABLE removals (
  id TEXT PRIMARY KEY, batch_id TEXT NOT NULL REFERENCES batches(id),
  assignment_id TEXT NOT NULL REFERENCES assignments(id), date TEXT NOT NULL,
  count INTEGER NOT NULL, kind TEXT NOT NULL, avg_weight_g REAL, closes_source INTEGER, note TEXT,
  voided INTEGER NOT NULL DEFAULT 0, updated_by_event TEXT
);
CREATE INDEX removals_batch ON removals(batch_id, date);
CREATE INDEX removals_assignment ON removals(assignment_id, date);

CREATE TABLE growth_samples (
  id TEXT PRIMARY KEY, batch_id TEXT NOT NULL REFERENCES batches(id),
  assignment_id TEXT NOT NULL REFERENCES assignments(id), date TEXT NOT NULL,
  sample_size INTEGER, avg_weight_g REAL, std_dev_g REAL, avg_length_cm REAL, condition_factor REAL,
  individual_weights_g TEXT, individual_lengths_cm TEXT,   -- JSON arrays
  corrective INTEGER, note TEXT,                           -- corrective 0: informational, does not anchor
  voided INTEGER NOT NULL DEFAULT 0, updated_by_event TEXT
);
CREATE INDEX growth_samples_batch ON growth_samples(batch_id, date);
CREATE INDEX growth_samples_assignment ON growth_samples(assignment_id, date);

CREATE TABLE weighings (
  id TEXT PRIMARY KEY, batch_id TEXT NOT NULL REFERENCES batches(id),
  assignment_id TEXT NOT NULL REFERENCES assignments(id), date TEXT NOT NULL,
  avg_weight_g REAL NOT NULL, sample_size INTEGER, kind TEXT, treatment TEXT, note TEXT,
  voided INTEGER NOT NULL DEFAULT 0, updated_by_event TEXT
);
CREATE INDEX weighings_batch ON weighings(batch_id, date);
CREATE INDEX weighings_assignment ON weighings(assignment_id, date);

CREATE TABLE manual_anchors (
  id TEXT PRIMARY KEY, batch_id TEXT NOT NULL REFERENCES batches(id),
  assignment_id TEXT NOT NULL REFERENCES assignments(id), date TEXT NOT NULL,
  avg_weight_g REAL NOT NULL, note TEXT,
  voided INTEGER NOT NULL DEFAULT 0, updated_by_event TEXT
);
CREATE INDEX manual_anchors_batch ON manual_anchors(batch_id, date);
CREATE INDEX manual_anchors_assignment ON manual_anchors(assignment_id, date);

CREATE TABLE mortality (
  id TEXT PRIMARY KEY, batch_id TEXT NOT NULL REFERENCES batches(id),
  assignment_id TEXT REFERENCES assignments(id),   -- null: batch-level
  date TEXT NOT NULL, count INTEGER NOT NULL, cause TEXT, note TEXT,
  voided INTEGER NOT NULL DEFAULT 0, updated_by_event TEXT
);
CREATE INDEX mortality_batch ON mortality(batch_id, date);
CREATE INDEX mortality_assignment ON mortality(assignment_id, date);

CREATE TABLE feed (
  id TEXT PRIMARY KEY, batch_id TEXT NOT NULL REFERENCES batches(id),
  assignment_id TEXT REFERENCES assignments(id), container_id TEXT REFERENCES containers(id),
  date TEXT NOT NULL, kg REAL NOT NULL, note TEXT,
  voided INTEGER NOT NULL DEFAULT 0, updated_by_event TEXT,
  CHECK ((assignment_id IS NULL) <> (container_id IS NULL))
);
CREATE INDEX feed_batch ON feed(batch_id, date);
CREATE INDEX feed_assignment ON feed(assignment_id, date);
CREATE INDEX feed_container ON feed(container_id, date);

-- Temperatures belong to a container, not a batch (batch_id stays null unless a document said so).
CREATE TABLE temperature_readings (
  id TEXT PRIMARY KEY, batch_id TEXT REFERENCES batches(id),
  container_id TEXT NOT NULL REFERENCES containers(id),
  timestamp TEXT NOT NULL, date TEXT NOT NULL,      -- date: site-local date of the timestamp
  value REAL NOT NULL,
  voided INTEGER NOT NULL DEFAULT 0, updated_by_event TEXT
);
CREATE INDEX temperature_readings_container ON temperature_readings(container_id, date);

CREATE TABLE temperature_daily (
  id TEXT PRIMARY KEY, batch_id TEXT REFERENCES batches(id),
  container_id TEXT NOT NULL REFERENCES containers(id),
  date TEXT NOT NULL, mean_c REAL NOT NULL,
  voided INTEGER NOT NULL DEFAULT 0, updated_by_event TEXT
);
CREATE INDEX temperature_daily_container ON temperature_daily(container_id, date);

CREATE TABLE stage_changes (
  id TEXT PRIMARY KEY, batch_id TEXT NOT NULL REFERENCES batches(id),
  assignment_id TEXT NOT NULL REFERENCES assignments(id), date TEXT NOT NULL,
  stage TEXT NOT NULL, note TEXT,
  voided INTEGER NOT NULL DEFAULT 0, updated_by_event TEXT
);
CREATE INDEX stage_changes_batch ON stage_changes(batch_id, date);
CREATE INDEX stage_changes_assignment ON stage_changes(assignment_id, date);

-- The event log (sync.md §1). Append-only.
CREATE TABLE events (
  event_id        TEXT PRIMARY KEY,            -- UUIDv7
  device_id       TEXT NOT NULL,
  device_seq      INTEGER NOT NULL,
  hlc             TEXT NOT NULL,
  occurred_at     TEXT NOT NULL,
  type            TEXT NOT NULL,
  v               INTEGER NOT NULL,
  entity_type     TEXT NOT NULL,
  entity_id       TEXT NOT NULL,
  site_id         TEXT NOT NULL,
  base_event_ids  TEXT NOT NULL DEFAULT '[]',  -- JSON array
  actor           TEXT NOT NULL,
  payload         TEXT NOT NULL,               -- JSON
  payload_sha256  TEXT NOT NULL,
  server_seq      INTEGER,
  received_at     TEXT,
  effective_ts    TEXT,
  deferred        INTEGER NOT NULL DEFAULT 0,  -- unknown newer (type, v): stored, not applied
  UNIQUE (device_id, device_seq)
);
CREATE INDEX events_entity ON events(entity_type, entity_id, hlc);
CREATE INDEX events_server_seq ON events(server_seq) WHERE server_seq IS NOT NULL;
CREATE INDEX events_unpushed ON events(device_id, device_seq) WHERE server_seq IS NULL;

-- This database's identity and clocks (one row).
CREATE TABLE device (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  device_id       TEXT NOT NULL,
  next_seq        INTEGER NOT NULL DEFAULT 1,
  hlc_physical    INTEGER NOT NULL DEFAULT 0,
  hlc_counter     INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL
);

-- Batches whose states are stale, from which day. `generation` grows with every write, so a
-- recompute clears only the marker it saw; `failed_generation` parks a batch the engine rejected.
CREATE TABLE dirty_batches (
  batch_id          TEXT PRIMARY KEY,
  from_date         TEXT NOT NULL,
  generation        INTEGER NOT NULL DEFAULT 1,
  failed_generation INTEGER
) WITHOUT ROWID;

CREATE TABLE assignment_states (
  assignment_id   TEXT NOT NULL,
  date            TEXT NOT NULL,
  batch_id        TEXT NOT NULL,
  container_id    TEXT NOT NULL,
  day_number      INTEGER NOT NULL,
  stage           TEXT NOT NULL,
  avg_weight_g    REAL NOT NULL,
  population      INTEGER NOT NULL,
  biomass_kg      REAL NOT NULL,
  temp_c          REAL NOT NULL,
  deaths          REAL NOT NULL,
  feed_kg         REAL NOT NULL,
  growth_kg       REAL NOT NULL,
  anchor_type     TEXT,
  count_deviation REAL NOT NULL,
  mortality_carry REAL NOT NULL,
  src_weight      TEXT NOT NULL,
  src_temp        TEXT NOT NULL,
  src_mortality   TEXT NOT NULL,
  src_feed        TEXT NOT NULL,
  conf_weight     REAL NOT NULL,
  conf_temp       REAL NOT NULL,
  conf_mortality  REAL NOT NULL,
  conf_feed       REAL NOT NULL,
  conf_overall    REAL NOT NULL,
  PRIMARY KEY (assignment_id, date)
) WITHOUT ROWID;
CREATE INDEX assignment_states_batch ON assignment_states(batch_id, date);

CREATE TABLE batch_states (
  batch_id        TEXT NOT NULL,
  date            TEXT NOT NULL,
  day_number      INTEGER NOT NULL,
  avg_weight_g    REAL,
  population      INTEGER NOT NULL,
  biomass_kg      REAL NOT NULL,
  container_count INTEGER NOT NULL,
  feed_kg         REAL NOT NULL,
  growth_kg       REAL NOT NULL,
  deaths          REAL NOT NULL,
  PRIMARY KEY (batch_id, date)
) WITHOUT ROWID;

CREATE TABLE batch_outputs (
  batch_id        TEXT PRIMARY KEY,
  engine_version  TEXT NOT NULL,
  as_of           TEXT NOT NULL,
  computed_at     TEXT NOT NULL,
  weekly          TEXT NOT NULL,   -- JSON, as the states document
  anchors         TEXT NOT NULL,
  fcr             TEXT NOT NULL,
  scenario        TEXT NOT NULL,
  variance        TEXT NOT NULL,
  forecast        TEXT NOT NULL,
  warnings        TEXT NOT NULL
);

CREATE TABLE batch_errors (
  batch_id        TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  record          TEXT NOT NULL,
  field           TEXT NOT NULL,
  message         TEXT NOT NULL,
  generation      INTEGER NOT NULL,
  computed_at     TEXT NOT NULL,
  PRIMARY KEY (batch_id, seq)
) WITHOUT ROWID;

CREATE TABLE sync_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
