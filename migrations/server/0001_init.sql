-- AquaMind central server, schema 1 (spec/sync.md §2–§7). Forward-only.
-- The event log is a plain table (a hypertable cannot carry a unique key without its time column).

CREATE TABLE sites (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Bearer tokens, stored as SHA-256 of the token. kind 'device' is bound to one site; 'hq' reads all
-- sites; 'admin' administers. A device token may serve several device_ids of its site (a restored
-- laptop registers a new device_id with its token).
CREATE TABLE tokens (
  id          bigserial PRIMARY KEY,
  token_hash  text NOT NULL UNIQUE,
  kind        text NOT NULL CHECK (kind IN ('device', 'hq', 'admin')),
  site_id     text REFERENCES sites(id),
  label       text,
  revoked     boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'device') = (site_id IS NOT NULL))
);

CREATE TABLE devices (
  device_id        uuid PRIMARY KEY,
  site_id          text NOT NULL REFERENCES sites(id),
  token_id         bigint REFERENCES tokens(id),
  label            text,
  last_seq         bigint NOT NULL DEFAULT 0,      -- highest device_seq the server holds (accepted or rejected)
  clock_offset_ms  bigint,                         -- server_now - client_now at the last push
  app_version      text,
  last_push_at     timestamptz,
  last_pull_at     timestamptz,
  last_pull_cursor bigint,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_site ON devices(site_id);

-- One row: the last server_seq handed out. Allocated under pg_advisory_xact_lock inside the push
-- transaction, so server_seq values become visible in order.
CREATE TABLE server_seq_counter (
  id    integer PRIMARY KEY CHECK (id = 1),
  last  bigint NOT NULL
);
INSERT INTO server_seq_counter (id, last) VALUES (1, 0);

CREATE TABLE events (
  event_id        uuid PRIMARY KEY,
  site_id         text NOT NULL REFERENCES sites(id),
  device_id       uuid NOT NULL REFERENCES devices(device_id),
  device_seq      bigint NOT NULL,
  server_seq      bigint NOT NULL UNIQUE,
  received_at     timestamptz NOT NULL,
  effective_ts    timestamptz NOT NULL,
  hlc             text NOT NULL,
  occurred_at     text NOT NULL,
  type            text NOT NULL,
  v               integer NOT NULL,
  entity_type     text NOT NULL,
  entity_id       text NOT NULL,
  base_event_ids  jsonb NOT NULL DEFAULT '[]',
  actor           text NOT NULL,
  payload         jsonb NOT NULL,
  payload_sha256  text NOT NULL,
  UNIQUE (device_id, device_seq)
);
CREATE INDEX events_site_seq ON events(site_id, server_seq);
CREATE INDEX events_entity ON events(site_id, entity_type, entity_id);

-- Events rejected for good (validation, built on a rejected event, same id with another hash).
-- They hold their device_seq, so the device's queue moves on.
CREATE TABLE rejected_events (
  id              bigserial PRIMARY KEY,
  event_id        uuid NOT NULL,
  site_id         text NOT NULL,
  device_id       uuid NOT NULL,
  device_seq      bigint NOT NULL,
  reason          text NOT NULL,
  event           jsonb NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejected_events_event ON rejected_events(event_id);
CREATE INDEX rejected_events_device ON rejected_events(device_id, device_seq);

-- Per batch: what the server's stored states include.
CREATE TABLE batch_outputs (
  site_id         text NOT NULL,
  batch_id        text NOT NULL,
  engine_version  text NOT NULL,
  as_of           date NOT NULL,
  last_server_seq bigint NOT NULL,
  computed_at     timestamptz NOT NULL,
  states_sha256   text NOT NULL,
  ok              boolean NOT NULL,
  errors          jsonb NOT NULL DEFAULT '[]',
  warnings        jsonb NOT NULL DEFAULT '[]',
  PRIMARY KEY (site_id, batch_id)
);

-- Device state snapshots (sync.md §5): the laptop's own states, with the same stamps.
CREATE TABLE device_snapshots (
  site_id         text NOT NULL,
  device_id       uuid NOT NULL,
  batch_id        text NOT NULL,
  engine_version  text NOT NULL,
  as_of           date NOT NULL,
  last_server_seq bigint NOT NULL,
  states_sha256   text NOT NULL,
  batch_states    jsonb NOT NULL,
  received_at     timestamptz NOT NULL,
  PRIMARY KEY (device_id, batch_id)
);

-- States mismatches for the same inputs and engine version: each one is a bug report.
CREATE TABLE state_mismatches (
  id              bigserial PRIMARY KEY,
  site_id         text NOT NULL,
  device_id       uuid NOT NULL,
  batch_id        text NOT NULL,
  engine_version  text NOT NULL,
  as_of           date NOT NULL,
  last_server_seq bigint NOT NULL,
  device_sha256   text NOT NULL,
  server_sha256   text NOT NULL,
  reported_at     timestamptz NOT NULL DEFAULT now()
);

-- Daily states (hypertables in 0002 where TimescaleDB is present).
CREATE TABLE assignment_states (
  site_id         text NOT NULL,
  assignment_id   text NOT NULL,
  date            date NOT NULL,
  batch_id        text NOT NULL,
  container_id    text NOT NULL,
  day_number      integer NOT NULL,
  stage           text NOT NULL,
  avg_weight_g    double precision NOT NULL,
  population      bigint NOT NULL,
  biomass_kg      double precision NOT NULL,
  temp_c          double precision NOT NULL,
  deaths          double precision NOT NULL,
  feed_kg         double precision NOT NULL,
  growth_kg       double precision NOT NULL,
  anchor_type     text,
  count_deviation double precision NOT NULL,
  mortality_carry double precision NOT NULL,
  src_weight      text NOT NULL,
  src_temp        text NOT NULL,
  src_mortality   text NOT NULL,
  src_feed        text NOT NULL,
  conf_weight     double precision NOT NULL,
  conf_temp       double precision NOT NULL,
  conf_mortality  double precision NOT NULL,
  conf_feed       double precision NOT NULL,
  conf_overall    double precision NOT NULL,
  engine_version  text NOT NULL,
  last_server_seq bigint NOT NULL,
  PRIMARY KEY (site_id, assignment_id, date)
);
CREATE INDEX assignment_states_batch ON assignment_states(site_id, batch_id, date);

CREATE TABLE batch_states (
  site_id         text NOT NULL,
  batch_id        text NOT NULL,
  date            date NOT NULL,
  day_number      integer NOT NULL,
  avg_weight_g    double precision,
  population      bigint NOT NULL,
  biomass_kg      double precision NOT NULL,
  container_count integer NOT NULL,
  feed_kg         double precision NOT NULL,
  growth_kg       double precision NOT NULL,
  deaths          double precision NOT NULL,
  engine_version  text NOT NULL,
  last_server_seq bigint NOT NULL,
  PRIMARY KEY (site_id, batch_id, date)
);
