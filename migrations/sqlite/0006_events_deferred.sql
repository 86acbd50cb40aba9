-- AquaMind Site: local database, schema 6. Counting deferred events without reading the log.
--
-- The sync status shows how many pulled events wait for a newer app (deferred = 1; almost always
-- none). Without an index the count read every event: half a second on the main thread for a site
-- with half a million events. A partial index holds only the deferred ones.
CREATE INDEX events_deferred ON events(server_seq) WHERE deferred = 1;
