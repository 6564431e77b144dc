-- 0007: what the HTTP service's queue mode shares with `conductor worker` processes on
-- other machines through the database (the PostgreSQL store mirrors this file; a SQLite
-- database has no workers, so these tables stay empty there).
--
-- Metrics pushed by workers (conductor._metrics_db): one row per metric, label set and
-- part, added to with upserts; the server's /metrics reads them at each scrape.
CREATE TABLE conductor_metrics (
    name   TEXT NOT NULL,   -- the metric family, e.g. conductor_stage_seconds
    labels TEXT NOT NULL,   -- JSON object, keys sorted
    part   TEXT NOT NULL,   -- '' for a counter; 'sum', 'count' or a bucket's le (cumulative)
    value  REAL NOT NULL,
    PRIMARY KEY (name, labels, part)
);

-- What a queue job of the service carries besides its URL (conductor._job_inputs): an
-- upload's bytes, so a worker on another machine can read them, and a document's
-- password. Never in the queue job's arguments (`conductor jobs` shows those): the job
-- names this row, which the server deletes once the document ended (or its job was
-- cancelled), so a password lives exactly as long as the work that needs it. The worker
-- writes what it made back here (sha256, chunks) for the server to record.
CREATE TABLE conductor_job_inputs (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,   -- the uploaded filename, or the URL
    body       BLOB,            -- the uploaded bytes; NULL for a URL
    password   TEXT,
    sha256     TEXT,            -- written by the worker that ran it
    chunks     INTEGER,
    created_at REAL NOT NULL
);

-- A service document's input row, in queue mode (NULL: a plain URL job).
ALTER TABLE service_job_documents ADD COLUMN input_id INTEGER;
