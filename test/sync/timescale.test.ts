/** The TimescaleDB schema applied for real (embedded PGlite) and the plain-PostgreSQL fallback giving the same results. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { migrateServer, openPg, openPglite, type ServerDb } from '../../sync/server/db';
import { pgUnavailable, startPostgres, type PgCluster } from './pg';

const rows = Array.from({ length: 60 }, (_, i) => {
  const d = new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10);
  return { site_id: 'S', batch_id: 'B', date: d, day_number: i, avg_weight_g: 500 + i * 3.25, population: 10000 - i * 2, biomass_kg: (10000 - i * 2) * (500 + i * 3.25) / 1000,
    container_count: 1, feed_kg: 40 + (i % 7), growth_kg: 30 + (i % 5), deaths: 2, engine_version: '1.0.0', last_server_seq: 1 };
});

async function weekly(s: ServerDb) {
  await s.db.insertInto('batch_states').values(rows).execute();
  return (await sql<Record<string, unknown>>`SELECT week::text AS week, last_date::text AS last_date, days::int AS days, round(avg_weight_g::numeric, 6)::float8 AS avg_weight_g,
    min_population::int AS min_population, round(feed_kg::numeric, 6)::float8 AS feed_kg, round(deaths::numeric, 6)::float8 AS deaths
    FROM batch_states_weekly WHERE site_id = 'S' AND batch_id = 'B' ORDER BY week`.execute(s.db)).rows;
}

describe('server schema', () => {
  let lite: ServerDb;
  let cluster: PgCluster | null = null;
  beforeAll(async () => { lite = await openPglite(); });
  afterAll(async () => { await lite?.close(); cluster?.stop(); });

  it('TimescaleDB: hypertables, compression policies and continuous aggregates exist and are queryable', async () => {
    const m = await migrateServer(lite);
    expect(m.timescale).toBe(true);
    expect(m.applied).toEqual(['0001_init.sql', '0002_timeseries.timescale.sql']);
    const hts = (await sql<{ hypertable_name: string }>`SELECT hypertable_name FROM timescaledb_information.hypertables ORDER BY 1`.execute(lite.db)).rows.map((r) => r.hypertable_name);
    expect(hts).toEqual(['assignment_states', 'batch_states']);
    const dims = (await sql<{ hypertable_name: string; column_name: string; time_interval: unknown }>`SELECT hypertable_name, column_name, time_interval::text AS time_interval FROM timescaledb_information.dimensions WHERE hypertable_name IN ('assignment_states', 'batch_states') ORDER BY 1`.execute(lite.db)).rows;
    expect(dims.map((d) => [d.hypertable_name, d.column_name, d.time_interval])).toEqual([['assignment_states', 'date', '14 days'], ['batch_states', 'date', '14 days']]);
    const jobs = (await sql<{ proc_name: string; hypertable_name: string; config: Record<string, unknown> }>`SELECT proc_name, hypertable_name, config FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL ORDER BY 2, 1`.execute(lite.db)).rows;
    expect(jobs.filter((j) => j.proc_name === 'policy_compression').map((j) => j.hypertable_name).sort()).toEqual(['assignment_states', 'batch_states']);
    expect(jobs.find((j) => j.proc_name === 'policy_compression')!.config.compress_after).toBe('30 days');
    const seg = (await sql<{ attname: string; segmentby_column_index: number | null; orderby_column_index: number | null }>`
      SELECT attname, segmentby_column_index, orderby_column_index FROM timescaledb_information.compression_settings WHERE hypertable_name = 'assignment_states' ORDER BY attname`.execute(lite.db)).rows;
    expect(seg.filter((s) => s.segmentby_column_index != null).map((s) => s.attname).sort()).toEqual(['assignment_id', 'site_id']);
    expect(seg.filter((s) => s.orderby_column_index != null).map((s) => s.attname)).toEqual(['date']);
    const caggs = (await sql<{ view_name: string }>`SELECT view_name FROM timescaledb_information.continuous_aggregates ORDER BY 1`.execute(lite.db)).rows.map((r) => r.view_name);
    expect(caggs).toEqual(['assignment_states_weekly', 'batch_states_weekly']);
    // a second run applies nothing
    expect((await migrateServer(lite)).applied).toEqual([]);
  });

  it('the plain-PostgreSQL views return the same weekly results as the continuous aggregates', async () => {
    const ts = await weekly(lite);
    expect(ts.length).toBe(9); // 2025-01-01 … 2025-03-01: Monday weeks from 2024-12-30 to 2025-02-24
    expect(ts[0]).toMatchObject({ week: '2024-12-30', days: 5 });
    // materialised too: refresh, and the answer stays the same
    await lite.exec(`CALL refresh_continuous_aggregate('batch_states_weekly', NULL, NULL)`);
    expect(await weekly2(lite)).toEqual(ts);
    const missing = pgUnavailable();
    if (missing && process.env.CI) throw new Error(missing);
    if (missing) return;
    cluster = await startPostgres();
    const pg = await openPg(cluster.url);
    try {
      const m = await migrateServer(pg);
      expect(m.timescale).toBe(false);
      expect(m.applied).toEqual(['0001_init.sql', '0002_timeseries.plain.sql']);
      expect(await weekly(pg)).toEqual(ts);
    } finally { await pg.close(); }
  });
});

async function weekly2(s: ServerDb) {
  return (await sql<Record<string, unknown>>`SELECT week::text AS week, last_date::text AS last_date, days::int AS days, round(avg_weight_g::numeric, 6)::float8 AS avg_weight_g,
    min_population::int AS min_population, round(feed_kg::numeric, 6)::float8 AS feed_kg, round(deaths::numeric, 6)::float8 AS deaths
    FROM batch_states_weekly WHERE site_id = 'S' AND batch_id = 'B' ORDER BY week`.execute(s.db)).rows;
}
