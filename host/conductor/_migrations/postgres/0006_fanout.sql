-- 0006 (PostgreSQL): fanned-out documents and their page ranges, as ../0006_fanout.sql says.

CREATE TABLE conductor_fanouts (
    job_id        BIGINT PRIMARY KEY NOT NULL,
    source        TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    body          BYTEA,
    content_type  TEXT,
    etag          TEXT,
    last_modified TEXT,
    ranges        INTEGER NOT NULL,
    landed        INTEGER NOT NULL DEFAULT 0,
    state         TEXT NOT NULL DEFAULT 'running'
                  CHECK (state IN ('running', 'merged', 'failed', 'cancelled')),
    created_at    DOUBLE PRECISION NOT NULL
);

CREATE TABLE conductor_fanout_ranges (
    job_id     BIGINT NOT NULL REFERENCES conductor_fanouts (job_id) ON DELETE CASCADE,
    first_page INTEGER NOT NULL,
    last_page  INTEGER NOT NULL,
    document   TEXT,
    PRIMARY KEY (job_id, first_page)
);
