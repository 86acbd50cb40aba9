/**
 * Temperature logs (logger files, imported series) as the user sees them: one record per log,
 * voided or restored whole (migration 0007 stores them so; their readings are the log's event).
 */
import type { RecordRef, TemperatureLogDto } from '../api/contract';
import { TEMPERATURE_LOG } from '../kinds';
import { FIXED_POINT } from '../../engine/index';
import { exists, fail, type Ctx, type HandlerMap } from './context';

type LogRow = {
  occurred_at: string | null; as_rows: number; rn: number; rmean: number | null; id: string; container_id: string; container_name: string; voided: number; updated_by_event: string | null; source: unknown;
  kfrom: string | null; kto: string | null; n: number | null; sum: number | null; dropped: number; dfrom: string | null; dto: string | null;
};

/** A log with its kept days and its dropped readings summed (the dates span both). */
const LOG_SQL = `SELECT e.occurred_at, l.as_rows, l.id, l.container_id, c.name AS container_name, l.voided, l.updated_by_event, json_extract(e.payload, '$.source') AS source,
    (SELECT MIN(date) FROM temperature_log_days WHERE log_id = l.id) AS kfrom, (SELECT MAX(date) FROM temperature_log_days WHERE log_id = l.id) AS kto,
    (SELECT SUM(n) FROM temperature_log_days WHERE log_id = l.id) AS n, (SELECT SUM(sum) FROM temperature_log_days WHERE log_id = l.id) AS sum,
    (SELECT COUNT(*) FROM temperature_readings WHERE id >= l.id || ':' AND id < l.id || ';' AND NOT (value BETWEEN -3 AND 40)) AS dropped,
    (SELECT COUNT(*) FROM temperature_readings WHERE id >= l.id || ':' AND id < l.id || ';' AND value BETWEEN -3 AND 40) AS rn,
    (SELECT AVG(value) FROM temperature_readings WHERE id >= l.id || ':' AND id < l.id || ';' AND value BETWEEN -3 AND 40 AND voided = 0) AS rmean,
    (SELECT MIN(date) FROM temperature_readings WHERE id >= l.id || ':' AND id < l.id || ';') AS dfrom,
    (SELECT MAX(date) FROM temperature_readings WHERE id >= l.id || ':' AND id < l.id || ';') AS dto
  FROM temperature_logs l
  JOIN containers c ON c.id = l.container_id
  LEFT JOIN events e ON e.event_id = l.recorded_by_event`;

function dto(r: LogRow): TemperatureLogDto {
  const dates = [r.kfrom, r.kto, r.dfrom, r.dto].filter((d): d is string => d !== null).sort();
  return {
    id: r.id, container_id: r.container_id, container_name: r.container_name, from: dates[0] ?? '', to: dates[dates.length - 1] ?? '',
    // a log `as_rows` (a reading of it was edited on its own) is counted from its rows
    readings: r.as_rows ? r.rn : r.n ?? 0, dropped: r.dropped,
    mean_c: r.as_rows ? r.rmean : r.n ? (r.sum ?? 0) / r.n / FIXED_POINT : null,
    source: typeof r.source === 'string' ? r.source : null, voided: r.voided === 1, updated_by_event: r.updated_by_event,
  };
}

function requireLog(ctx: Ctx, id: string): TemperatureLogDto & { occurredAt: string } {
  const r = ctx.db.prepare(`${LOG_SQL} WHERE l.id = ?`).get(id) as LogRow | undefined;
  if (!r) fail('not_found', 'id', `unknown temperature log ${JSON.stringify(id)}`);
  return { ...dto(r), occurredAt: r.occurred_at ?? ctx.clock().toISOString() };
}

function write(ctx: Ctx, log: TemperatureLogDto & { occurredAt: string }, kind: 'voided' | 'restored', reason: string): RecordRef {
  // occurred_at is the recording's (a valid timestamp; the log's first day may be empty or malformed)
  const w = ctx.write([{ entityType: TEMPERATURE_LOG, entityId: log.id, kind, occurredAt: log.occurredAt, payload: { reason } }]);
  return { id: log.id, event_id: w.events[0]!.event_id, batch_ids: w.batchIds };
}

export const temperatureLogHandlers: HandlerMap = {
  'temperatureLog.list': (a: { batch_id: string; from?: string; include_voided?: boolean; limit?: number }, ctx) => {
    if (!exists(ctx.db, 'batches', a.batch_id)) fail('not_found', 'batch_id', `unknown batch ${JSON.stringify(a.batch_id)}`);
    // the most recently recorded first (a file just imported is at the top), read until `limit`
    // are found: a site's logs are thousands, the screen shows a few
    const out: TemperatureLogDto[] = [];
    const limit = a.limit ?? 10000;
    // (the ids in order first: sorting the full rows would compute every log's sums before the first is shown)
    const one = ctx.db.prepare(`${LOG_SQL} WHERE l.id = ?`);
    for (const { id } of ctx.db.prepare(`SELECT l.id FROM temperature_logs l LEFT JOIN events e ON e.event_id = l.recorded_by_event
      WHERE l.container_id IN (SELECT container_id FROM assignments WHERE batch_id = ?) ${a.include_voided ? '' : 'AND l.voided = 0'}
      ORDER BY e.rowid DESC`).iterate(a.batch_id) as IterableIterator<{ id: string }>) {
      const l = dto(one.get(id) as LogRow);
      if (a.from && l.to < a.from) continue;
      out.push(l);
      if (out.length >= limit) break;
    }
    return out;
  },
  'temperatureLog.void': (a: { id: string; reason: string }, ctx) => {
    const log = requireLog(ctx, a.id);
    if (log.voided) fail('conflict', 'id', `temperature log ${a.id} is already voided`);
    return write(ctx, log, 'voided', a.reason);
  },
  'temperatureLog.restore': (a: { id: string; reason: string }, ctx) => {
    const log = requireLog(ctx, a.id);
    if (!log.voided) fail('conflict', 'id', `temperature log ${a.id} is not voided`);
    const c = exists(ctx.db, 'containers', log.container_id);
    if (!c || c.voided === 1) fail('domain', 'id', `temperature log ${a.id} is of container ${log.container_id}, which is voided: restore the container first`);
    return write(ctx, log, 'restored', a.reason);
  },
};
