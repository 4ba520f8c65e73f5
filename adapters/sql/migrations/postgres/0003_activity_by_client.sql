-- The newest activity of each client (the clients page, a client's own log)
-- without scanning the practice's whole log.
CREATE INDEX activity_log_by_client ON activity_log (practice_id, client_id, seq);
