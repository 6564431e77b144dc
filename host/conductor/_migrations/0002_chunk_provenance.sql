-- 0002: what made each stored document and each set of chunks.
--
-- A document row records the plugin that extracted it ("name version"), so that a newer
-- plugin re-extracts. Chunks belong to a `chunkings` row: the configuration that made
-- them (max/overlap tokens, encoding, respect_paragraphs) and the chunker's version, so a
-- document chunked with another configuration is chunked again instead of getting chunks
-- of the wrong size, and several configurations may be stored side by side.
--
-- Rows written before 0002 do not say what made them: documents get extractor NULL (a run
-- re-extracts them) and their chunks a chunking with key 'unknown' and NULL settings,
-- which no configuration matches (a run chunks them again); nothing is lost meanwhile.

ALTER TABLE documents ADD COLUMN extractor TEXT;  -- "pdf 0.2.0"; NULL: unknown (pre-0002)

CREATE TABLE chunkings (
    id                 INTEGER PRIMARY KEY,
    sha256             TEXT NOT NULL REFERENCES documents (sha256) ON DELETE CASCADE,
    key                TEXT NOT NULL,     -- the settings below as one string, or 'unknown'
    max_tokens         INTEGER,
    overlap_tokens     INTEGER,
    encoding           TEXT,
    respect_paragraphs INTEGER CHECK (respect_paragraphs IN (0, 1)),
    chunker            TEXT,              -- "chunker 0.2.0"
    chunked_at         REAL NOT NULL,
    UNIQUE (sha256, key)
);

INSERT INTO chunkings (sha256, key, chunked_at)
SELECT DISTINCT c.sha256, 'unknown', d.extracted_at
FROM chunks c JOIN documents d ON d.sha256 = c.sha256;

CREATE TABLE chunks_0002 (
    chunking   INTEGER NOT NULL REFERENCES chunkings (id) ON DELETE CASCADE,
    sha256     TEXT NOT NULL REFERENCES documents (sha256) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,          -- Chunk.index
    text       TEXT NOT NULL,
    tokens     INTEGER NOT NULL,
    page_start INTEGER NOT NULL,
    page_end   INTEGER NOT NULL,
    section    TEXT,
    char_start INTEGER NOT NULL,
    char_end   INTEGER NOT NULL,
    PRIMARY KEY (chunking, idx)
);

INSERT INTO chunks_0002 (chunking, sha256, idx, text, tokens, page_start, page_end, section,
                         char_start, char_end)
SELECT k.id, c.sha256, c.idx, c.text, c.tokens, c.page_start, c.page_end, c.section,
       c.char_start, c.char_end
FROM chunks c JOIN chunkings k ON k.sha256 = c.sha256 AND k.key = 'unknown';

DROP TABLE chunks;
ALTER TABLE chunks_0002 RENAME TO chunks;
CREATE INDEX chunks_sha256 ON chunks (sha256);
