-- 0006: large documents fanned out into page-range jobs (issue 16; conductor._queue._fanout).
--
-- The queue runs on PostgreSQL only; a SQLite file gets the same two tables, empty, so a
-- database's schema version says the same thing whichever store holds it (as 0004).
--
-- conductor_fanouts: one row per fanned-out document, keyed by its parent job: the
-- downloaded bytes (so a range job on any machine reads exactly what was downloaded,
-- without asking the portal again; emptied once merged), how many ranges there are and
-- how many have landed (the counter the last range's worker increments in the same
-- transaction that stores its result, so exactly one worker merges), and its state
-- (`cancelled` by `conductor cancel` before the merge: its range jobs then do nothing).
-- conductor_fanout_ranges: one row per page range; `document` is the range's extracted
-- document (JSON of the store's documents/pages rows), NULL until the range lands.

CREATE TABLE conductor_fanouts (
    job_id        INTEGER PRIMARY KEY NOT NULL,
    source        TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    body          BLOB,
    content_type  TEXT,
    etag          TEXT,
    last_modified TEXT,
    ranges        INTEGER NOT NULL,
    landed        INTEGER NOT NULL DEFAULT 0,
    state         TEXT NOT NULL DEFAULT 'running'
                  CHECK (state IN ('running', 'merged', 'failed', 'cancelled')),
    created_at    REAL NOT NULL
);

CREATE TABLE conductor_fanout_ranges (
    job_id     INTEGER NOT NULL REFERENCES conductor_fanouts (job_id) ON DELETE CASCADE,
    first_page INTEGER NOT NULL,
    last_page  INTEGER NOT NULL,
    document   TEXT,
    PRIMARY KEY (job_id, first_page)
);
