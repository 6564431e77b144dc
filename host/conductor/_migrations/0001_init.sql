-- 0001: the initial schema of the embedded store (conductor._db).
--
-- Documents are content-addressed: one row per sha256 of the document's bytes, however
-- many URLs served those bytes (`sources`). Lists that are only ever read whole (outline,
-- warnings, headings, a page's links) are JSON arrays; everything queried on is a column.
-- Times are Unix seconds (REAL). The runner applies this file in one transaction and
-- records it in schema_migrations, which it creates itself.

CREATE TABLE documents (
    sha256              TEXT PRIMARY KEY NOT NULL,
    name                TEXT NOT NULL,    -- Document.source: the name it was extracted as
    format              TEXT NOT NULL,    -- "pdf", "docx"
    page_count          INTEGER NOT NULL,
    title               TEXT,
    author              TEXT,
    subject             TEXT,
    creator             TEXT,
    producer            TEXT,
    created             TEXT,             -- ISO 8601 when the source date parsed
    modified            TEXT,
    metadata_page_count INTEGER NOT NULL, -- Metadata.page_count
    outline             TEXT NOT NULL DEFAULT '[]',  -- JSON [{title, level, page}]
    warnings            TEXT NOT NULL DEFAULT '[]',  -- JSON [{code, message, page}]
    headings            TEXT NOT NULL DEFAULT '[]',  -- JSON [{title, level, page, offset}]
    pagination          TEXT NOT NULL,    -- "fixed", "page_breaks", ...
    extracted_at        REAL NOT NULL
);

-- Where a document came from: every URL that served it, with what a conditional GET needs.
CREATE TABLE sources (
    url           TEXT PRIMARY KEY NOT NULL,
    sha256        TEXT NOT NULL REFERENCES documents (sha256) ON DELETE CASCADE,
    source        TEXT,                   -- the vendor / source name, e.g. "primegov"
    etag          TEXT,
    last_modified TEXT,                   -- the Last-Modified header, verbatim
    fetched_at    REAL
);
CREATE INDEX sources_sha256 ON sources (sha256);

CREATE TABLE pages (
    sha256     TEXT NOT NULL REFERENCES documents (sha256) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    text       TEXT NOT NULL,
    chars      INTEGER NOT NULL,
    needs_ocr  INTEGER NOT NULL CHECK (needs_ocr IN (0, 1)),
    ocr_reason TEXT,
    links      TEXT NOT NULL DEFAULT '[]',  -- JSON [url]
    PRIMARY KEY (sha256, number)
);

CREATE TABLE chunks (
    sha256     TEXT NOT NULL REFERENCES documents (sha256) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,          -- Chunk.index
    text       TEXT NOT NULL,
    tokens     INTEGER NOT NULL,
    page_start INTEGER NOT NULL,
    page_end   INTEGER NOT NULL,
    section    TEXT,
    char_start INTEGER NOT NULL,
    char_end   INTEGER NOT NULL,
    PRIMARY KEY (sha256, idx)
);

-- One row per input that failed (key: its URL or path), until it succeeds.
CREATE TABLE failures (
    key             TEXT PRIMARY KEY NOT NULL,
    url             TEXT,
    stage           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    message         TEXT NOT NULL,
    attempts        INTEGER NOT NULL CHECK (attempts >= 1),
    first_failed_at REAL NOT NULL,
    last_failed_at  REAL NOT NULL,
    next_retry_at   REAL                  -- NULL: do not retry automatically
);
