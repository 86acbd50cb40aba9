import { describe, expect, it } from 'vitest';
import { TEMPERATURE_LOG } from '../../backend/kinds';
import { dumpTables, must, openBackend, seedSmallSite } from './helpers';

describe('temperature logs in the API: listed, voided and restored whole', () => {
  it('lists a log with its days, kept and dropped readings; void and restore move its day sums; bad calls name the field', async () => {
    const be = await openBackend();
    await seedSmallSite(be);
    const db = be.ctx.db;
    const readings = [
      { timestamp: '2025-03-01T08:00:00Z', value: 8 }, { timestamp: '2025-03-01T20:00:00Z', value: 9 },
      { timestamp: '2025-03-02T08:00:00Z', value: 45 }, { timestamp: '2025-03-02T09:00:00Z', value: 10 },
    ];
    be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: 'LOG1', kind: 'recorded', occurredAt: readings[0]!.timestamp, payload: { container_id: 'P1', readings, source: 'logger' } }]);
    be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: 'LOG2', kind: 'recorded', occurredAt: '2025-02-01T00:00:00Z', payload: { container_id: 'P2', readings: [{ timestamp: '2025-02-01T00:00:00Z', value: 7 }] } }]);
    const sums = () => db.prepare('SELECT container_id, date, n FROM temperature_reading_days ORDER BY container_id, date').all();

    const list = must(await be.call('temperatureLog.list', { batch_id: 'B1' }));
    expect(list.map((l) => l.id)).toEqual(['LOG2', 'LOG1']); // the most recently recorded first
    expect(list[1]).toEqual({ id: 'LOG1', container_id: 'P1', container_name: 'Pen 1', from: '2025-03-01', to: '2025-03-02', readings: 3, dropped: 1,
      mean_c: 9, source: 'logger', voided: false, updated_by_event: expect.any(String) });
    expect(must(await be.call('temperatureLog.list', { batch_id: 'B1', from: '2025-02-15' })).map((l) => l.id)).toEqual(['LOG1']);
    // the dropped reading is a record of its own; the kept ones are not
    expect(must(await be.call('records.list', { batch_id: 'B1', kind: 'temperature' })).map((r) => r.id)).toEqual(['LOG1:000002']);
    const kept = await be.call('temperature.void', { id: 'LOG1:000000', reason: 'r' });
    expect(kept.ok ? null : kept.error).toMatchObject({ code: 'not_found', field: 'id' });

    must(await be.call('temperatureLog.void', { id: 'LOG1', reason: 'logger out of the water' }));
    expect(sums()).toEqual([{ container_id: 'P2', date: '2025-02-01', n: 1 }]);
    expect(must(await be.call('temperatureLog.list', { batch_id: 'B1' })).map((l) => l.id)).toEqual(['LOG2']);
    expect(must(await be.call('temperatureLog.list', { batch_id: 'B1', include_voided: true }))[1]).toMatchObject({ id: 'LOG1', voided: true });
    expect(must(await be.call('records.list', { batch_id: 'B1', kind: 'temperature' }))).toEqual([]); // its dropped reading is voided with it
    const history = must(await be.call('record.history', { entity_type: 'temperature_log', entity_id: 'LOG1' }));
    expect(history.map((h) => [h.type, h.reason])).toEqual([['temperature_log.recorded', null], ['temperature_log.voided', 'logger out of the water']]);

    // refused calls write nothing and say why
    const before = dumpTables(db);
    const again = await be.call('temperatureLog.void', { id: 'LOG1', reason: 'r' });
    expect(again.ok ? null : again.error).toMatchObject({ code: 'conflict', field: 'id', message: 'temperature log LOG1 is already voided' });
    const unknown = await be.call('temperatureLog.void', { id: 'NOPE', reason: 'r' });
    expect(unknown.ok ? null : unknown.error).toMatchObject({ code: 'not_found', field: 'id', message: 'unknown temperature log "NOPE"' });
    const noReason = await be.call('temperatureLog.restore', { id: 'LOG1', reason: ' ' } as never);
    expect(noReason.ok ? null : noReason.error).toMatchObject({ code: 'invalid', field: 'reason' });
    const notVoided = await be.call('temperatureLog.restore', { id: 'LOG2', reason: 'r' });
    expect(notVoided.ok ? null : notVoided.error).toMatchObject({ code: 'conflict', field: 'id' });
    expect(dumpTables(db)).toBe(before);

    must(await be.call('temperatureLog.restore', { id: 'LOG1', reason: 'right pen after all' }));
    expect(sums()).toEqual([
      { container_id: 'P1', date: '2025-03-01', n: 2 }, { container_id: 'P1', date: '2025-03-02', n: 1 }, { container_id: 'P2', date: '2025-02-01', n: 1 },
    ]);
    expect((db.prepare("SELECT lone FROM temperature_reading_days WHERE container_id = 'P1' AND date = '2025-03-02'").get() as { lone: number }).lone).toBe(10);
    await be.close();
  });
});
