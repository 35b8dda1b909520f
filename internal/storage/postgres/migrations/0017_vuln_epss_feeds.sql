-- 0017_vuln_epss_feeds: FIRST's EPSS scores, which rank findings by the
-- likelihood of exploitation, and the state of the scheduled fetching of
-- each advisory feed (see internal/vuln, store.go).
--
-- Conventions as in 0016: times are TIMESTAMPTZ, NULL where a zero time
-- is allowed. Keys compare bytewise (COLLATE "C"), as in SQLite.

-- One CVE's EPSS score (0 to 1) and percentile. The whole set is replaced
-- at once by each day's file (about 300,000 rows), in one transaction
-- that locks the table against other replaces (SHARE ROW EXCLUSIVE), not
-- against readers.
CREATE TABLE vuln_epss (
	cve        TEXT             COLLATE "C" NOT NULL PRIMARY KEY,
	score      DOUBLE PRECISION NOT NULL,
	percentile DOUBLE PRECISION NOT NULL
);

-- What vuln_epss holds: the model version and score date of the file it
-- came from and how many CVEs it scores. One row (id 1), written with
-- vuln_epss; none before the first replace.
CREATE TABLE vuln_epss_meta (
	id         INTEGER     PRIMARY KEY CHECK (id = 1),
	model      TEXT        NOT NULL DEFAULT '',
	score_date TIMESTAMPTZ, -- NULL: unknown
	count      INTEGER     NOT NULL
);

-- Where the scheduled fetching of one advisory feed stands, by name
-- ("osv:<ecosystem>", "kev", "nvd", "epss"): cursor is what the next run
-- starts from ('': everything), the last_* columns the outcome of the last
-- run, written how many records the last successful run wrote.
CREATE TABLE vuln_feeds (
	name       TEXT        COLLATE "C" NOT NULL PRIMARY KEY,
	cursor     TEXT        NOT NULL DEFAULT '',
	last_run   TIMESTAMPTZ, -- NULL: never ran
	last_ok    TIMESTAMPTZ, -- NULL: never succeeded
	last_error TEXT        NOT NULL DEFAULT '', -- '': the last run succeeded
	written    BIGINT      NOT NULL DEFAULT 0
);
