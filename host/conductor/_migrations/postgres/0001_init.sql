-- 0001 (PostgreSQL): the initial schema, as ../0001_init.sql says for SQLite.
--
-- The same tables, columns and meaning; only the types are PostgreSQL's: Unix seconds are
-- DOUBLE PRECISION (SQLite REAL), booleans stay INTEGER 0/1 and JSON lists stay TEXT, so
-- both stores read and write the same values through the same row conversions.

CREATE TABLE documents (
    sha256              TEXT PRIMARY KEY NOT NULL,
    name                TEXT NOT NULL,
    format              TEXT NOT NULL,
    page_count          INTEGER NOT NULL,
    title               TEXT,
    author              TEXT,
    subject             TEXT,
    creator             TEXT,
    producer            TEXT,
    created             TEXT,
    modified            TEXT,
    metadata_page_count INTEGER NOT NULL,
    outline             TEXT NOT NULL DEFAULT '[]',
    warnings            TEXT NOT NULL DEFAULT '[]',
    headings            TEXT NOT NULL DEFAULT '[]',
    pagination          TEXT NOT NULL,
    extracted_at        DOUBLE PRECISION NOT NULL
);

CREATE TABLE sources (
    url           TEXT PRIMARY KEY NOT NULL,
    sha256        TEXT NOT NULL REFERENCES documents (sha256) ON DELETE CASCADE,
    source        TEXT,
    etag          TEXT,
    last_modified TEXT,
    fetched_at    DOUBLE PRECISION
);
CREATE INDEX sources_sha256 ON sources (sha256);

CREATE TABLE pages (
    sha256     TEXT NOT NULL REFERENCES documents (sha256) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    text       TEXT NOT NULL,
    chars      INTEGER NOT NULL,
    needs_ocr  INTEGER NOT NULL CHECK (needs_ocr IN (0, 1)),
    ocr_reason TEXT,
    links      TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (sha256, number)
);

CREATE TABLE chunks (
    sha256     TEXT NOT NULL REFERENCES documents (sha256) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    text       TEXT NOT NULL,
    tokens     INTEGER NOT NULL,
    page_start INTEGER NOT NULL,
    page_end   INTEGER NOT NULL,
    section    TEXT,
    char_start INTEGER NOT NULL,
    char_end   INTEGER NOT NULL,
    PRIMARY KEY (sha256, idx)
);

CREATE TABLE failures (
    key             TEXT PRIMARY KEY NOT NULL,
    url             TEXT,
    stage           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    message         TEXT NOT NULL,
    attempts        INTEGER NOT NULL CHECK (attempts >= 1),
    first_failed_at DOUBLE PRECISION NOT NULL,
    last_failed_at  DOUBLE PRECISION NOT NULL,
    next_retry_at   DOUBLE PRECISION
);
