-- AquaMind Site: local database, schema 2.
-- Per container-day sums of the temperature readings, so a recompute never reads the raw readings
-- (engine/readings.ts, ReadingAggregator.fromDaySums): sum = Σ aquamind_fixed(value) =
-- Σ Math.round(value·1e9) (integer, exact in any order), n = the count, lone = the value when n = 1.
-- Only readings the engine keeps count: not voided, −3…40 °C (it drops the rest with a warning).
-- Triggers keep the table in step with every write, correction, void, restore and delete of a
-- reading, in the same transaction. `aquamind_fixed` is a JavaScript function registered on every
-- connection (backend/db/functions.ts) so the rounding is JavaScript's Math.round exactly.

CREATE TABLE temperature_reading_days (
  container_id TEXT NOT NULL,
  date         TEXT NOT NULL,      -- site-local date
  sum          INTEGER NOT NULL,   -- Σ round(value·1e9)
  n            INTEGER NOT NULL,
  lone         REAL,               -- the value when n = 1
  PRIMARY KEY (container_id, date)
) WITHOUT ROWID;

INSERT INTO temperature_reading_days (container_id, date, sum, n, lone)
  SELECT container_id, date, SUM(CAST(aquamind_fixed(value) AS INTEGER)), COUNT(*), CASE WHEN COUNT(*) = 1 THEN MAX(value) END
  FROM temperature_readings WHERE voided = 0 AND value BETWEEN -3 AND 40
  GROUP BY container_id, date;

-- Readings the engine drops (outside −3…40 °C): few; looked up to repeat the engine's warnings.
CREATE INDEX temperature_readings_out_of_range ON temperature_readings(container_id, timestamp, id)
  WHERE value < -3 OR value > 40;

CREATE TRIGGER temperature_reading_days_insert AFTER INSERT ON temperature_readings
WHEN NEW.voided = 0 AND NEW.value BETWEEN -3 AND 40
BEGIN
  INSERT INTO temperature_reading_days (container_id, date, sum, n, lone)
    VALUES (NEW.container_id, NEW.date, CAST(aquamind_fixed(NEW.value) AS INTEGER), 1, NEW.value)
    ON CONFLICT (container_id, date) DO UPDATE SET sum = sum + excluded.sum, n = n + 1, lone = NULL;
END;

CREATE TRIGGER temperature_reading_days_delete AFTER DELETE ON temperature_readings
WHEN OLD.voided = 0 AND OLD.value BETWEEN -3 AND 40
BEGIN
  UPDATE temperature_reading_days SET sum = sum - CAST(aquamind_fixed(OLD.value) AS INTEGER), n = n - 1
    WHERE container_id = OLD.container_id AND date = OLD.date;
  DELETE FROM temperature_reading_days WHERE container_id = OLD.container_id AND date = OLD.date AND n <= 0;
  UPDATE temperature_reading_days SET lone = (
      SELECT r.value FROM temperature_readings r WHERE r.container_id = OLD.container_id AND r.date = OLD.date
        AND r.voided = 0 AND r.value BETWEEN -3 AND 40 AND r.id <> OLD.id LIMIT 1)
    WHERE container_id = OLD.container_id AND date = OLD.date AND n = 1;
END;

-- One trigger for every update, in order: take the old reading out (if it counted), then put the
-- new one in (if it counts); `lone` is looked up when a day is left with one reading.
CREATE TRIGGER temperature_reading_days_update AFTER UPDATE OF container_id, date, value, voided ON temperature_readings
WHEN (OLD.voided = 0 AND OLD.value BETWEEN -3 AND 40) OR (NEW.voided = 0 AND NEW.value BETWEEN -3 AND 40)
BEGIN
  UPDATE temperature_reading_days SET sum = sum - CAST(aquamind_fixed(OLD.value) AS INTEGER), n = n - 1
    WHERE container_id = OLD.container_id AND date = OLD.date AND OLD.voided = 0 AND OLD.value BETWEEN -3 AND 40;
  DELETE FROM temperature_reading_days WHERE container_id = OLD.container_id AND date = OLD.date AND n <= 0;
  UPDATE temperature_reading_days SET lone = (
      SELECT r.value FROM temperature_readings r WHERE r.container_id = OLD.container_id AND r.date = OLD.date
        AND r.voided = 0 AND r.value BETWEEN -3 AND 40 AND r.id <> OLD.id LIMIT 1)
    WHERE container_id = OLD.container_id AND date = OLD.date AND n = 1 AND OLD.voided = 0 AND OLD.value BETWEEN -3 AND 40;
  INSERT INTO temperature_reading_days (container_id, date, sum, n, lone)
    SELECT NEW.container_id, NEW.date, CAST(aquamind_fixed(NEW.value) AS INTEGER), 1, NEW.value
    WHERE NEW.voided = 0 AND NEW.value BETWEEN -3 AND 40
    ON CONFLICT (container_id, date) DO UPDATE SET sum = sum + excluded.sum, n = n + 1, lone = NULL;
END;

-- A token that changes with every write of a batch's states: an in-memory copy of the states
-- (the recompute worker keeps one per batch) is current while the token is the one it wrote.
ALTER TABLE batch_outputs ADD COLUMN revision TEXT;
