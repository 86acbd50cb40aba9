-- AquaMind Site: local database, schema 4. Smaller writes per edit.
--
-- A batch's outputs besides the daily states (weekly rollups, FCR windows, anchors, forecast,
-- scenario, variance) were one JSON document per kind, rewritten whole after every edit: ~3 MB for
-- a sea batch, most of an edit's write time. They are now kept in parts, one per assignment where
-- the output is per assignment, so a recompute rewrites only the parts that changed.
--   part      weekly | fcr:span | anchors | forecast | scenario | variance (the 7- and 30-day FCR
--             rows are rebuilt from the states' daily feed and growth when read)
--   key       '' for the batch-level part, else the assignment id
--   seq       the order of the parts of one kind in the engine's output (assignment order)
CREATE TABLE batch_output_parts (
  batch_id TEXT NOT NULL,
  part     TEXT NOT NULL,
  key      TEXT NOT NULL,
  seq      INTEGER NOT NULL,
  json     TEXT NOT NULL,
  PRIMARY KEY (batch_id, part, key)
);

-- batch_outputs keeps what every screen reads for every batch (small), and the revision token.
ALTER TABLE batch_outputs ADD COLUMN eta TEXT NOT NULL DEFAULT '{}';            -- forecast.batch.eta
ALTER TABLE batch_outputs ADD COLUMN variance_last TEXT;                         -- the last variance row
ALTER TABLE batch_outputs DROP COLUMN weekly;
ALTER TABLE batch_outputs DROP COLUMN anchors;
ALTER TABLE batch_outputs DROP COLUMN fcr;
ALTER TABLE batch_outputs DROP COLUMN scenario;
ALTER TABLE batch_outputs DROP COLUMN variance;
ALTER TABLE batch_outputs DROP COLUMN forecast;

CREATE TRIGGER batch_outputs_parts_delete AFTER DELETE ON batch_outputs BEGIN
  DELETE FROM batch_output_parts WHERE batch_id = old.batch_id;
END;

-- Which inputs changed since the last recompute, so it reloads only those lists: a comma list of
-- batch-document lists ('mortality', 'feed', …, 'temperature') or '*' for everything. Every writer
-- goes through backend/recompute/dirty.ts, which merges the sets.
ALTER TABLE dirty_batches ADD COLUMN inputs TEXT NOT NULL DEFAULT '*';

-- The stored outputs were dropped above: every batch is recomputed from scratch at start.
INSERT INTO dirty_batches (batch_id, from_date, generation)
  SELECT batch_id, '0000-01-01', 1 FROM batch_outputs WHERE true
  ON CONFLICT(batch_id) DO UPDATE SET from_date = '0000-01-01', generation = generation + 1, inputs = '*';
DELETE FROM batch_outputs;
