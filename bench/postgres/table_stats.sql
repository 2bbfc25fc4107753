-- What a run left in the tables claims and submits update (run by run.sh
-- with -v schema=...): updates and how many of them were HOT, dead and live
-- rows, autovacuum and autoanalyze passes; then the server's checkpoints,
-- WAL and deadlocks since it started (pgbench's share included; a deadlock
-- costs the batch that waited deadlock_timeout, 1 s).
SELECT relname, 'updates=' || n_tup_upd, 'hot=' || n_tup_hot_upd, 'dead=' || n_dead_tup,
       'live=' || n_live_tup, 'autovacuums=' || autovacuum_count,
       'autoanalyzes=' || autoanalyze_count
FROM pg_stat_user_tables
WHERE schemaname = :'schema' AND relname IN ('objects', 'assignments', 'jobs')
UNION ALL
SELECT 'server', 'checkpoints=' || (checkpoints_timed + checkpoints_req),
       'wal_bytes=' || (SELECT wal_bytes FROM pg_stat_wal),
       'wal_full_page_images=' || (SELECT wal_fpi FROM pg_stat_wal),
       'deadlocks=' || (SELECT sum(deadlocks) FROM pg_stat_database), '', ''
FROM pg_stat_bgwriter;
