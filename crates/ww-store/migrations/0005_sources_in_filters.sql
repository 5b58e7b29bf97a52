-- The source column leaves its per-row index for the block filters, which now hold each block's
-- source ids (see src/bloom.rs): the (tenant, source, time) index insert was about a quarter of
-- the writer's time. Filters written before this migration lack the ids, so they are dropped and
-- rebuilt when the store opens (`blocks_complete` = 0).
DROP INDEX events_tenant_source;
DELETE FROM event_blocks;
UPDATE meta SET value = 0 WHERE key = 'blocks_complete';
