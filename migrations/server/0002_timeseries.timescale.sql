-- Applied instead of 0002_timeseries.plain.sql when the timescaledb extension is available:
-- daily states as hypertables (14-day chunks, compressed after 30 days, segmented by assignment,
-- ordered by date) and weekly continuous aggregates. Same names and columns as the plain variant.
CREATE EXTENSION IF NOT EXISTS timescaledb;

SELECT create_hypertable('assignment_states', by_range('date', INTERVAL '14 days'), migrate_data => true);
SELECT create_hypertable('batch_states', by_range('date', INTERVAL '14 days'), migrate_data => true);

ALTER TABLE assignment_states SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'site_id, assignment_id',
  timescaledb.compress_orderby = 'date'
);
ALTER TABLE batch_states SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'site_id, batch_id',
  timescaledb.compress_orderby = 'date'
);
SELECT add_compression_policy('assignment_states', INTERVAL '30 days');
SELECT add_compression_policy('batch_states', INTERVAL '30 days');

CREATE MATERIALIZED VIEW assignment_states_weekly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT site_id, assignment_id, batch_id,
       time_bucket(INTERVAL '1 week', date) AS week,
       max(date) AS last_date,
       count(*) AS days,
       avg(avg_weight_g) AS avg_weight_g,
       max(avg_weight_g) AS max_weight_g,
       min(population) AS min_population,
       max(population) AS max_population,
       max(biomass_kg) AS max_biomass_kg,
       sum(feed_kg) AS feed_kg,
       sum(growth_kg) AS growth_kg,
       sum(deaths) AS deaths,
       avg(temp_c) AS temp_c
FROM assignment_states
GROUP BY site_id, assignment_id, batch_id, time_bucket(INTERVAL '1 week', date)
WITH NO DATA;

CREATE MATERIALIZED VIEW batch_states_weekly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT site_id, batch_id,
       time_bucket(INTERVAL '1 week', date) AS week,
       max(date) AS last_date,
       count(*) AS days,
       avg(avg_weight_g) AS avg_weight_g,
       max(avg_weight_g) AS max_weight_g,
       min(population) AS min_population,
       max(population) AS max_population,
       max(biomass_kg) AS max_biomass_kg,
       sum(feed_kg) AS feed_kg,
       sum(growth_kg) AS growth_kg,
       sum(deaths) AS deaths
FROM batch_states
GROUP BY site_id, batch_id, time_bucket(INTERVAL '1 week', date)
WITH NO DATA;

SELECT add_continuous_aggregate_policy('assignment_states_weekly',
  start_offset => INTERVAL '10 years', end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour');
SELECT add_continuous_aggregate_policy('batch_states_weekly',
  start_offset => INTERVAL '10 years', end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour');
