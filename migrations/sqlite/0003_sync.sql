-- AquaMind Site: local database, schema 3. The sync client's own tables (spec/sync.md §2–§4).
-- `IF NOT EXISTS`: databases synced by earlier builds, whose client created these tables itself,
-- migrate without error (the shapes are the same).

-- Events the server rejected for good (or that can never be sent), with the reason. They stay in
-- `events`, are left out of the projection and of the push queue, and are listed in the UI.
CREATE TABLE IF NOT EXISTS sync_rejected (
  event_id    TEXT PRIMARY KEY,
  reason      TEXT NOT NULL,
  rejected_at TEXT NOT NULL
) WITHOUT ROWID;

-- Records whose heads are concurrent corrections of the same field (or a void against a
-- correction): `detail` is JSON {entity_type, entity_id, fields, winner, heads[]}, refreshed after
-- every push ack and pulled page that touches the record; deleted once a resolution covers every head.
CREATE TABLE IF NOT EXISTS sync_conflicts (
  entity_type TEXT NOT NULL,
  entity_id   TEXT NOT NULL,
  detail      TEXT NOT NULL,
  PRIMARY KEY (entity_type, entity_id)
) WITHOUT ROWID;

-- Keys of sync_state (schema 1) the client and the backend use:
--   server_url, token        set by sync.configure (the token is never returned by the API)
--   pull_cursor              the last server_seq applied (advanced in the page's transaction)
--   last_push_at, last_pull_at, last_sync_at, last_error
--   previous_device_ids      JSON array: ids given up after a device_seq conflict (a restored laptop)
