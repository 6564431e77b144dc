-- 0005 (PostgreSQL): the HTTP service's jobs; the same tables as ../0005_service.sql.
--
-- Identical but for the types of times (DOUBLE PRECISION: REAL is 4 bytes here, too
-- coarse for Unix seconds).

CREATE TABLE service_jobs (
    id             TEXT PRIMARY KEY NOT NULL,  -- random hex, the API's job_id
    owner          TEXT NOT NULL,              -- sha256 (hex) of the API key that submitted it
    status         TEXT NOT NULL CHECK (status IN
                       ('queued', 'running', 'succeeded', 'failed', 'partial', 'cancelled')),
    created_at     DOUBLE PRECISION NOT NULL,
    started_at     DOUBLE PRECISION,
    finished_at    DOUBLE PRECISION,
    max_tokens     INTEGER NOT NULL,           -- the job's chunking configuration
    overlap_tokens INTEGER NOT NULL,
    encoding       TEXT NOT NULL,
    callback_url   TEXT,
    callback_headers TEXT NOT NULL DEFAULT '{}',  -- JSON object sent with the callback
    runner         TEXT                        -- the process that claimed it last
);
CREATE INDEX service_jobs_status ON service_jobs (status, created_at);
CREATE INDEX service_jobs_owner ON service_jobs (owner, status);

-- One row per document of a job, in submission order; a result is written as soon as the
-- document finishes, so a restart redoes only the unfinished ones.
CREATE TABLE service_job_documents (
    job_id        TEXT NOT NULL REFERENCES service_jobs (id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    source        TEXT NOT NULL,   -- the URL, or the uploaded file's name
    url           TEXT,            -- NULL for an upload
    upload        TEXT,            -- an upload's spool file (deleted when the job ends)
    type          TEXT,            -- the client's format hint
    vendor        TEXT,            -- the client's "source" name (e.g. "primegov")
    status        TEXT NOT NULL CHECK (status IN ('queued', 'succeeded', 'failed', 'cancelled')),
    sha256        TEXT,
    format        TEXT,
    page_count    INTEGER,
    chunks        INTEGER,
    error_kind    TEXT,
    error_stage   TEXT,
    error_message TEXT,
    queue_job     BIGINT,      -- queue mode: the procrastinate job running it
    PRIMARY KEY (job_id, idx)
);

-- The callback outbox: written in the transaction that ends the job, delivered (and
-- retried with backoff) by the service's sender until it succeeds or gives up.
CREATE TABLE service_callbacks (
    job_id          TEXT PRIMARY KEY NOT NULL REFERENCES service_jobs (id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    headers         TEXT NOT NULL,  -- JSON object
    body            TEXT NOT NULL,  -- exactly the bytes signed and sent (UTF-8 JSON)
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DOUBLE PRECISION NOT NULL,
    last_error      TEXT,
    delivered_at    DOUBLE PRECISION
);
CREATE INDEX service_callbacks_due ON service_callbacks (status, next_attempt_at);

-- API keys, only as sha256 hashes.
CREATE TABLE service_api_keys (
    key_hash TEXT PRIMARY KEY NOT NULL,
    added_at DOUBLE PRECISION NOT NULL
);

-- Job runners' heartbeats (/readyz: "workers seen recently").
CREATE TABLE service_workers (
    name    TEXT PRIMARY KEY NOT NULL,
    seen_at DOUBLE PRECISION NOT NULL
);
