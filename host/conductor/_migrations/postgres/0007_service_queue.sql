-- 0007 (PostgreSQL): the service's queue-mode tables, as ../0007_service_queue.sql says.

CREATE TABLE conductor_metrics (
    name   TEXT NOT NULL,
    labels TEXT NOT NULL,
    part   TEXT NOT NULL,
    value  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (name, labels, part)
);

CREATE TABLE conductor_job_inputs (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL,
    body       BYTEA,
    password   TEXT,
    sha256     TEXT,
    chunks     INTEGER,
    created_at DOUBLE PRECISION NOT NULL
);

ALTER TABLE service_job_documents ADD COLUMN input_id BIGINT;
