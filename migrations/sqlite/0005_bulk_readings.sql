-- AquaMind Site: local database, schema 5. Faster bulk temperature logs.
--
-- A logger file or an imported document brings hundreds of thousands of readings; the per-row
-- trigger of schema 2 cost ~16 µs a reading (three quarters of an import). Readings inserted as
-- part of a temperature log are now marked `bulk`: the projector adds their day sums itself, once
-- per container-day, with the same fixed-point rounding (backend/projection.ts). Every later
-- correction, void, restore or delete of any reading still goes through the triggers.
ALTER TABLE temperature_readings ADD COLUMN bulk INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER temperature_reading_days_insert;
CREATE TRIGGER temperature_reading_days_insert AFTER INSERT ON temperature_readings
WHEN NEW.voided = 0 AND NEW.value BETWEEN -3 AND 40 AND NEW.bulk = 0
BEGIN
  INSERT INTO temperature_reading_days (container_id, date, sum, n, lone)
    VALUES (NEW.container_id, NEW.date, CAST(aquamind_fixed(NEW.value) AS INTEGER), 1, NEW.value)
    ON CONFLICT (container_id, date) DO UPDATE SET sum = sum + excluded.sum, n = n + 1, lone = NULL;
END;
