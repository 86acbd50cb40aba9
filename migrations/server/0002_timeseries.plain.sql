-- Applied instead of 0002_timeseries.timescale.sql on a PostgreSQL without TimescaleDB: the
-- same weekly relations as ordinary views (weeks start on Monday, as time_bucket's do).
CREATE VIEW assignment_states_weekly AS
SELECT site_id, assignment_id, batch_id,
       date_trunc('week', date)::date AS week,
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
GROUP BY site_id, assignment_id, batch_id, date_trunc('week', date)::date;

CREATE VIEW batch_states_weekly AS
SELECT site_id, batch_id,
       date_trunc('week', date)::date AS week,
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
GROUP BY site_id, batch_id, date_trunc('week', date)::date;
