-- The ids PM Hub gives its records: one client per PM Hub id and practice.
-- Kept beside the record (not in its body) so that it is found by an index
-- and its uniqueness is the database's to keep.
CREATE TABLE pmhub_client_ids (
    practice_id UUID NOT NULL REFERENCES practices (id),
    pmhub_id    TEXT NOT NULL,
    client_id   UUID NOT NULL UNIQUE REFERENCES clients (id),
    PRIMARY KEY (practice_id, pmhub_id)
);
