-- How people log in: password hashes (argon2, PHC strings) and API token hashes.

CREATE TABLE logins (
    user_id       UUID PRIMARY KEY REFERENCES users (id),
    practice_id   UUID NOT NULL REFERENCES practices (id),
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id),
    practice_id UUID NOT NULL REFERENCES practices (id),
    label       TEXT NOT NULL
);
