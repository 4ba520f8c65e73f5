-- pmhub-xpm's store on PostgreSQL. Each row keeps its domain value as a
-- JSON body (see adapters/row-format) beside the columns queries filter on.

CREATE TABLE practices (
    id   UUID PRIMARY KEY,
    body JSONB NOT NULL
);

CREATE TABLE users (
    id          UUID PRIMARY KEY,
    practice_id UUID NOT NULL REFERENCES practices (id),
    body        JSONB NOT NULL
);

CREATE TABLE clients (
    id          UUID PRIMARY KEY,
    practice_id UUID NOT NULL REFERENCES practices (id),
    body        JSONB NOT NULL
);
CREATE INDEX clients_by_practice ON clients (practice_id);

CREATE TABLE association_types (
    id          UUID PRIMARY KEY,
    practice_id UUID NOT NULL REFERENCES practices (id),
    body        JSONB NOT NULL
);

CREATE TABLE associations (
    id          UUID PRIMARY KEY,
    practice_id UUID NOT NULL REFERENCES practices (id),
    client_id   UUID NOT NULL,
    body        JSONB NOT NULL
);
CREATE INDEX associations_by_client ON associations (practice_id, client_id);

CREATE TABLE integration_settings (
    practice_id UUID PRIMARY KEY REFERENCES practices (id),
    body        JSONB NOT NULL
);

CREATE TABLE connections (
    practice_id UUID PRIMARY KEY REFERENCES practices (id),
    body        JSONB NOT NULL
);

-- Access and refresh tokens, sealed with AES-256-GCM: never in clear text.
CREATE TABLE connection_tokens (
    practice_id UUID PRIMARY KEY REFERENCES practices (id),
    sealed      BYTEA NOT NULL
);

CREATE TABLE pending_authorisations (
    practice_id     UUID NOT NULL REFERENCES practices (id),
    state           TEXT NOT NULL,
    sealed_verifier BYTEA NOT NULL,
    started_by      UUID NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (practice_id, state)
);

CREATE TABLE sync_records (
    practice_id UUID NOT NULL REFERENCES practices (id),
    client_id   UUID NOT NULL,
    tenant_id   UUID NOT NULL,
    body        JSONB NOT NULL,
    PRIMARY KEY (client_id, tenant_id)
);

CREATE TABLE pending_operations (
    seq         BIGSERIAL PRIMARY KEY,
    practice_id UUID NOT NULL REFERENCES practices (id),
    client_id   UUID NOT NULL,
    tenant_id   UUID NOT NULL,
    body        JSONB NOT NULL
);
CREATE INDEX pending_operations_by_client ON pending_operations (practice_id, client_id, tenant_id);

CREATE TABLE activity_log (
    seq         BIGSERIAL PRIMARY KEY,
    id          UUID NOT NULL UNIQUE,
    practice_id UUID NOT NULL REFERENCES practices (id),
    client_id   UUID,
    kind        TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    body        JSONB NOT NULL
);
CREATE INDEX activity_log_by_practice ON activity_log (practice_id, seq);

-- The activity log is append-only, even for hands on the database.
CREATE FUNCTION activity_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the activity log is append-only';
END
$$;
CREATE TRIGGER activity_log_no_update_or_delete BEFORE UPDATE OR DELETE ON activity_log
    FOR EACH ROW EXECUTE FUNCTION activity_log_is_append_only();
CREATE TRIGGER activity_log_no_truncate BEFORE TRUNCATE ON activity_log
    FOR EACH STATEMENT EXECUTE FUNCTION activity_log_is_append_only();
