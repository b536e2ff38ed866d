-- Rate-limit counters need no durability: they last one window (minutes), and losing them in a crash only restarts
-- those windows, as a Redis counter store (which keeps nothing on disk) would. Unlogged, a login's three takes,
-- two give-backs and reset write no WAL and wait for no WAL flush. An unlogged table is emptied after a crash
-- and is not copied to replicas.
ALTER TABLE "rate_limit_counters" SET UNLOGGED;
