-- pmhub-xpm's store on SQLite. Each row keeps its domain value as a JSON
-- body (see adapters/row-format) beside the columns queries filter on.

CREATE TABLE practices (
    id   TEXT PRIMARY KEY NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE users (
    id          TEXT PRIMARY KEY NOT NULL,
    practice_id TEXT NOT NULL REFERENCES practices (id),
    body        TEXT NOT NULL
);

CREATE TABLE clients (
    id          TEXT PRIMARY KEY NOT NULL,
    practice_id TEXT NOT NULL REFERENCES practices (id),
    body        TEXT NOT NULL
);
CREATE INDEX clients_by_practice ON clients (practice_id);

CREATE TABLE association_types (
    id          TEXT PRIMARY KEY NOT NULL,
    practice_id TEXT NOT NULL REFERENCES practices (id),
    body        TEXT NOT NULL
);

CREATE TABLE associations (
    id          TEXT PRIMARY KEY NOT NULL,
    practice_id TEXT NOT NULL REFERENCES practices (id),
    client_id   TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX associations_by_client ON associations (practice_id, client_id);

CREATE TABLE integration_settings (
    practice_id TEXT PRIMARY KEY NOT NULL REFERENCES practices (id),
    body        TEXT NOT NULL
);

CREATE TABLE connections (
    practice_id TEXT PRIMARY KEY NOT NULL REFERENCES practices (id),
    body        TEXT NOT NULL
);

-- Access and refresh tokens, sealed with AES-256-GCM: never in clear text.
CREATE TABLE connection_tokens (
    practice_id TEXT PRIMARY KEY NOT NULL REFERENCES practices (id),
    sealed      BLOB NOT NULL
);

CREATE TABLE pending_authorisations (
    practice_id     TEXT NOT NULL REFERENCES practices (id),
    state           TEXT NOT NULL,
    sealed_verifier BLOB NOT NULL,
    started_by      TEXT NOT NULL,
    started_at      INTEGER NOT NULL,
    PRIMARY KEY (practice_id, state)
);

CREATE TABLE sync_records (
    practice_id TEXT NOT NULL REFERENCES practices (id),
    client_id   TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (client_id, tenant_id)
);

CREATE TABLE pending_operations (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    practice_id TEXT NOT NULL REFERENCES practices (id),
    client_id   TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX pending_operations_by_client ON pending_operations (practice_id, client_id, tenant_id);

CREATE TABLE activity_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    practice_id TEXT NOT NULL REFERENCES practices (id),
    client_id   TEXT,
    kind        TEXT NOT NULL,
    at          INTEGER NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX activity_log_by_practice ON activity_log (practice_id, seq);

-- The activity log is append-only, even for hands on the database.
CREATE TRIGGER activity_log_no_update BEFORE UPDATE ON activity_log
BEGIN
    SELECT RAISE(ABORT, 'the activity log is append-only');
END;
CREATE TRIGGER activity_log_no_delete BEFORE DELETE ON activity_log
BEGIN
    SELECT RAISE(ABORT, 'the activity log is append-only');
END;
