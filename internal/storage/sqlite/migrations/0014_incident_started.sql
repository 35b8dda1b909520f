-- 0014_incident_started: when an incident actually began, as the
-- investigation established it (Case.StartedAt) — the start of the time to
-- detect (see internal/incident, metrics.go).
--
-- Conventions as in 0010: times are INTEGER microseconds since the Unix
-- epoch (UTC), NULL where a zero time is allowed.

ALTER TABLE incident_cases ADD COLUMN started_at INTEGER; -- NULL: unknown; never after detected_at
