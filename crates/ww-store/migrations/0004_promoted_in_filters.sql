-- Host, source IP and user leave their per-row indexes for the block filters, which now hold
-- each block's values of those columns (see src/bloom.rs): three random-key B-tree inserts per
-- event were most of the single writer's time. Filters written before this migration lack the
-- values, so they are dropped and rebuilt when the store opens (`blocks_complete` = 0).
DROP INDEX events_tenant_host;
DROP INDEX events_tenant_src_ip;
DROP INDEX events_tenant_user;
DELETE FROM event_blocks;
UPDATE meta SET value = 0 WHERE key = 'blocks_complete';
