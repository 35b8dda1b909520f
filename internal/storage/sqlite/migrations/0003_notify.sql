-- 0003_notify: in-app notifications with their per-user read state, the
-- outbound notification channels and the log of delivery attempts.
--
-- Conventions as in 0001. A notification is personal (user_id set) or
-- addressed to the users of a unit (user_id NULL, unit_id set); a personal
-- one may also carry the unit it concerns. Read state is per user, so that
-- one user reading a unit notification leaves it unread for the others.

CREATE TABLE notifications (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE, -- NULL: every user of unit_id
	unit_id    INTEGER REFERENCES units (id),                   -- NULL: personal only
	kind       TEXT    NOT NULL,
	severity   TEXT    NOT NULL,
	title_vi   TEXT    NOT NULL,
	title_en   TEXT    NOT NULL,
	body_vi    TEXT    NOT NULL DEFAULT '',
	body_en    TEXT    NOT NULL DEFAULT '',
	link       TEXT    NOT NULL DEFAULT '', -- a path inside the application
	dedupe_key TEXT    UNIQUE,              -- NULL: no deduplication
	created_at INTEGER NOT NULL,
	CHECK (user_id IS NOT NULL OR unit_id IS NOT NULL)
);
CREATE INDEX notifications_user_id_id ON notifications (user_id, id);
CREATE INDEX notifications_unit_id_id ON notifications (unit_id, id);

CREATE TABLE notification_reads (
	notification_id INTEGER NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	read_at         INTEGER NOT NULL,
	PRIMARY KEY (notification_id, user_id)
) WITHOUT ROWID;
CREATE INDEX notification_reads_user_id ON notification_reads (user_id);

-- Outbound channels. config is the kind's settings as JSON text, stored as
-- the notify package canonicalised it. secret (webhook HMAC key, SMTP
-- password, Telegram bot token) is a SECRET kept in clear: the database and
-- its backups must be protected accordingly.
CREATE TABLE notification_channels (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	kind         TEXT    NOT NULL,
	name         TEXT    NOT NULL UNIQUE,
	unit_id      INTEGER REFERENCES units (id), -- NULL: every unit
	config       TEXT    NOT NULL DEFAULT '{}',
	secret       TEXT    NOT NULL DEFAULT '',
	enabled      INTEGER NOT NULL DEFAULT 1,
	min_severity TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);

-- One row per delivery attempt; (channel, notification, attempt) is unique.
CREATE TABLE notification_deliveries (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	channel_id      INTEGER NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
	notification_id INTEGER NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	attempt         INTEGER NOT NULL,
	ok              INTEGER NOT NULL,
	error           TEXT    NOT NULL DEFAULT '',
	at              INTEGER NOT NULL,
	UNIQUE (channel_id, notification_id, attempt)
);
CREATE INDEX notification_deliveries_notification_id ON notification_deliveries (notification_id, id);
CREATE INDEX notification_deliveries_at ON notification_deliveries (at);
