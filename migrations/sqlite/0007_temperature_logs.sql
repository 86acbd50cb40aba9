-- AquaMind Site: local database, schema 7. A temperature log is one row, not one row per reading.
--
-- A logger's log (a `temperature_log` event: ~48 readings a day per container, ~1.7 million
-- readings in a 100,000-event backlog) was stored as one `temperature_readings` row per reading:
-- ~250 bytes with its indexes, most of the time and of the WAL of a sync pull and of the server's
-- validation. The readings never change after the log is recorded (a log is voided or restored
-- whole), and a recompute reads only day sums, so a log is now:
--   temperature_logs      one row per log (its container, whether it is voided, the event that
--                         recorded it: the readings themselves are that event's payload);
--   temperature_log_days  the log's own day sums (same fixed point as temperature_reading_days),
--                         counted in temperature_reading_days while the log is not voided.
-- A log's readings the engine drops (outside −3…40 °C) stay rows of temperature_readings (`bulk`,
-- id `<log id>:<index>`): they are few, and the engine's warnings are read from there.
-- The projector (backend/projection.ts, backend/temperature-logs.ts) keeps the sums of logs; the
-- triggers keep those of single readings and now also look among logs' days for a day's lone value.

CREATE TABLE temperature_logs (
  id                TEXT PRIMARY KEY,
  container_id      TEXT NOT NULL REFERENCES containers(id),
  recorded_by_event TEXT NOT NULL,   -- its payload holds the readings
  voided            INTEGER NOT NULL DEFAULT 0,
  updated_by_event  TEXT,
  -- 1: its readings are rows of temperature_readings, counted by the triggers, and it has no
  -- temperature_log_days. A log becomes so once any of its readings has an event of its own (a
  -- correction or void of one reading: schema 6 offered it for every reading, this app for the
  -- dropped ones), on every device alike, so that replicas agree (backend/temperature-logs.ts).
  as_rows           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE temperature_log_days (
  log_id       TEXT NOT NULL,
  date         TEXT NOT NULL,      -- site-local date
  container_id TEXT NOT NULL,
  sum          INTEGER NOT NULL,   -- Σ round(value·1e9) of the log's kept readings that day
  n            INTEGER NOT NULL,
  lone         REAL,               -- the value when n = 1
  PRIMARY KEY (log_id, date)
) WITHOUT ROWID;
CREATE INDEX temperature_log_days_container ON temperature_log_days(container_id, date);

-- Logs already stored as rows move over. Their day sums are already counted in
-- temperature_reading_days and stay as they are; the triggers go first so that deleting the moved
-- rows does not take them out.
-- A log one of whose readings was voided or corrected on its own (schema 6 listed a log's readings
-- as records, each with Void and Correct) keeps its rows: its row here says so (as_rows = 1).
DROP TRIGGER temperature_reading_days_delete;
DROP TRIGGER temperature_reading_days_update;

CREATE TEMP TABLE moving_logs (id TEXT PRIMARY KEY, as_rows INTEGER NOT NULL);
INSERT INTO moving_logs SELECT DISTINCT substr(id, 1, length(id) - 7), 0 FROM temperature_readings WHERE bulk = 1;
UPDATE moving_logs SET as_rows = 1 WHERE EXISTS (SELECT 1 FROM events e WHERE e.entity_type = 'temperature_reading'
  AND e.entity_id >= moving_logs.id || ':' AND e.entity_id < moving_logs.id || ';');

-- the recording event: the first in sync's canonical order when one id was recorded twice (ties by
-- effective_ts, then event_id; not yet pushed last); the last log-level event updated it; voided
-- when every reading row is (a log voided whole voids them all)
INSERT INTO temperature_logs (id, container_id, recorded_by_event, voided, updated_by_event, as_rows)
  SELECT m.id, r.container_id,
    COALESCE((SELECT e.event_id FROM events e WHERE e.entity_type = 'temperature_log' AND e.entity_id = m.id
                AND e.type = 'temperature_log.recorded' ORDER BY COALESCE(e.effective_ts, '~'), e.event_id LIMIT 1), MIN(r.updated_by_event)),
    MIN(r.voided),
    COALESCE((SELECT e.event_id FROM events e WHERE e.entity_type = 'temperature_log' AND e.entity_id = m.id ORDER BY e.rowid DESC LIMIT 1), MAX(r.updated_by_event)),
    m.as_rows
  FROM moving_logs m JOIN temperature_readings r ON r.id >= m.id || ':' AND r.id < m.id || ';' AND r.bulk = 1
  GROUP BY m.id;

INSERT INTO temperature_log_days (log_id, date, container_id, sum, n, lone)
  SELECT substr(id, 1, length(id) - 7), date, MIN(container_id), SUM(CAST(aquamind_fixed(value) AS INTEGER)), COUNT(*),
    CASE WHEN COUNT(*) = 1 THEN MAX(value) END
  FROM temperature_readings WHERE bulk = 1 AND value BETWEEN -3 AND 40 AND substr(id, 1, length(id) - 7) IN (SELECT id FROM moving_logs WHERE as_rows = 0)
  GROUP BY substr(id, 1, length(id) - 7), date;

DELETE FROM temperature_readings WHERE bulk = 1 AND value BETWEEN -3 AND 40 AND substr(id, 1, length(id) - 7) IN (SELECT id FROM moving_logs WHERE as_rows = 0);
DROP TABLE moving_logs;

-- The value of a day left with one kept reading: a single reading's, or a non-voided log's whose
-- day holds one (the same lookup as the projector's, backend/temperature-logs.ts LONE_SQL).
CREATE TRIGGER temperature_reading_days_delete AFTER DELETE ON temperature_readings
WHEN OLD.voided = 0 AND OLD.value BETWEEN -3 AND 40
BEGIN
  UPDATE temperature_reading_days SET sum = sum - CAST(aquamind_fixed(OLD.value) AS INTEGER), n = n - 1
    WHERE container_id = OLD.container_id AND date = OLD.date;
  DELETE FROM temperature_reading_days WHERE container_id = OLD.container_id AND date = OLD.date AND n <= 0;
  UPDATE temperature_reading_days SET lone = COALESCE(
      (SELECT r.value FROM temperature_readings r WHERE r.container_id = OLD.container_id AND r.date = OLD.date
        AND r.voided = 0 AND r.value BETWEEN -3 AND 40 AND r.id <> OLD.id LIMIT 1),
      (SELECT d.lone FROM temperature_log_days d JOIN temperature_logs l ON l.id = d.log_id
        WHERE d.container_id = OLD.container_id AND d.date = OLD.date AND d.n = 1 AND l.voided = 0 LIMIT 1))
    WHERE container_id = OLD.container_id AND date = OLD.date AND n = 1;
END;

CREATE TRIGGER temperature_reading_days_update AFTER UPDATE OF container_id, date, value, voided ON temperature_readings
WHEN (OLD.voided = 0 AND OLD.value BETWEEN -3 AND 40) OR (NEW.voided = 0 AND NEW.value BETWEEN -3 AND 40)
BEGIN
  UPDATE temperature_reading_days SET sum = sum - CAST(aquamind_fixed(OLD.value) AS INTEGER), n = n - 1
    WHERE container_id = OLD.container_id AND date = OLD.date AND OLD.voided = 0 AND OLD.value BETWEEN -3 AND 40;
  DELETE FROM temperature_reading_days WHERE container_id = OLD.container_id AND date = OLD.date AND n <= 0;
  UPDATE temperature_reading_days SET lone = COALESCE(
      (SELECT r.value FROM temperature_readings r WHERE r.container_id = OLD.container_id AND r.date = OLD.date
        AND r.voided = 0 AND r.value BETWEEN -3 AND 40 AND r.id <> OLD.id LIMIT 1),
      (SELECT d.lone FROM temperature_log_days d JOIN temperature_logs l ON l.id = d.log_id
        WHERE d.container_id = OLD.container_id AND d.date = OLD.date AND d.n = 1 AND l.voided = 0 LIMIT 1))
    WHERE container_id = OLD.container_id AND date = OLD.date AND n = 1 AND OLD.voided = 0 AND OLD.value BETWEEN -3 AND 40;
  INSERT INTO temperature_reading_days (container_id, date, sum, n, lone)
    SELECT NEW.container_id, NEW.date, CAST(aquamind_fixed(NEW.value) AS INTEGER), 1, NEW.value
    WHERE NEW.voided = 0 AND NEW.value BETWEEN -3 AND 40
    ON CONFLICT (container_id, date) DO UPDATE SET sum = sum + excluded.sum, n = n + 1, lone = NULL;
END;
