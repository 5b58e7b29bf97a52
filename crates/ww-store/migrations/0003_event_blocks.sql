-- Full text moves from the lagging FTS5 trigram index (tens of microseconds per line in the
-- single writer) to one trigram Bloom filter per block of 2,048 event ids, written with the
-- events (see src/bloom.rs). `blocks_complete` = 0 asks the store to build the filters of
-- events written before this migration when it opens.
DROP TABLE events_fts;
DELETE FROM meta WHERE key = 'fts_watermark';
CREATE TABLE event_blocks (
    block  INTEGER PRIMARY KEY, -- event id >> 11
    min_ts INTEGER NOT NULL,
    max_ts INTEGER NOT NULL,
    bloom  BLOB NOT NULL
);
CREATE INDEX event_blocks_max_ts ON event_blocks (max_ts);
INSERT INTO meta (key, value) VALUES ('blocks_complete', 0);
