-- 0004: the job queue's own tables (issue 16; conductor._queue).
--
-- The queue runs on PostgreSQL only (procrastinate's tables are created by the queue
-- beside these), but every migration has the same meaning in both stores, so a SQLite
-- file gets the same two tables, empty: a database's schema version says the same thing
-- whichever store holds it.
--
-- conductor_job_errors: why a job's last attempt failed (procrastinate keeps a job's
-- status and attempts, not its exception): the error's kind and message, per job id.
-- conductor_host_slots: the cluster-wide per-host rate limit: the earliest time (Unix
-- seconds, the database's clock) the next request to the host may start.

CREATE TABLE conductor_job_errors (
    job_id  INTEGER PRIMARY KEY NOT NULL,
    kind    TEXT NOT NULL,
    message TEXT NOT NULL,
    at      REAL NOT NULL
);

CREATE TABLE conductor_host_slots (
    host    TEXT PRIMARY KEY NOT NULL,
    next_at REAL NOT NULL
);
