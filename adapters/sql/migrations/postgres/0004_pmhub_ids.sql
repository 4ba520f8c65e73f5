-- The ids PM Hub gives its records: one record per PM Hub id, kind and
-- practice, one id per record. Kept beside the record (not in its body) so
-- that it is found by an index and its uniqueness is the database's to keep.
CREATE TABLE pmhub_client_ids (
    practice_id UUID NOT NULL REFERENCES practices (id),
    pmhub_id    TEXT NOT NULL,
    client_id   UUID NOT NULL UNIQUE REFERENCES clients (id),
    PRIMARY KEY (practice_id, pmhub_id)
);

CREATE TABLE pmhub_association_type_ids (
    practice_id         UUID NOT NULL REFERENCES practices (id),
    pmhub_id            TEXT NOT NULL,
    association_type_id UUID NOT NULL UNIQUE REFERENCES association_types (id),
    PRIMARY KEY (practice_id, pmhub_id)
);

-- An association removed in PM Hub takes its id with it: PM Hub may send it
-- again, as a new one.
CREATE TABLE pmhub_association_ids (
    practice_id    UUID NOT NULL REFERENCES practices (id),
    pmhub_id       TEXT NOT NULL,
    association_id UUID NOT NULL UNIQUE REFERENCES associations (id) ON DELETE CASCADE,
    PRIMARY KEY (practice_id, pmhub_id)
);
