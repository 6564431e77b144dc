-- 0004 (PostgreSQL): the job queue's own tables, as ../0004_queue.sql says.

CREATE TABLE conductor_job_errors (
    job_id  BIGINT PRIMARY KEY NOT NULL,
    kind    TEXT NOT NULL,
    message TEXT NOT NULL,
    at      DOUBLE PRECISION NOT NULL
);

CREATE TABLE conductor_host_slots (
    host    TEXT PRIMARY KEY NOT NULL,
    next_at DOUBLE PRECISION NOT NULL
);
