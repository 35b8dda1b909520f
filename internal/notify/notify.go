package notify

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
)

// Kind says what a notification is about. Packages that notify define
// their own kinds; these are the ones known when this package was written.
type Kind string

// The known kinds.
const (
	ObligationDue     Kind = "obligation_due"
	ObligationOverdue Kind = "obligation_overdue"
	EvidenceStale     Kind = "evidence_stale"
	DossierDecided    Kind = "dossier_decided"
	SourceSilent      Kind = "source_silent" // an event source that used to send stopped
	AlertRaised       Kind = "alert_raised"  // a detection rule raised a new alert
	// Test is the kind of the message Service.SendTest sends; it is never stored.
	Test Kind = "test"
)

// Severity is how urgent a notification is. Channels carry only the
// notifications at or above their MinSeverity.
type Severity string

// The severities, least urgent first.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Severities lists every severity, least urgent first.
var Severities = []Severity{Info, Warning, Critical}

// rank orders the severities; an unknown one ranks 0, below Info.
func (s Severity) rank() int {
	switch s {
	case Info:
		return 1
	case Warning:
		return 2
	case Critical:
		return 3
	}
	return 0
}

// Valid reports whether s is one of Severities.
func (s Severity) Valid() bool { return s.rank() > 0 }

// AtLeast reports whether s is as urgent as min or more.
func (s Severity) AtLeast(min Severity) bool { return s.rank() >= min.rank() }

// Notification is one message to a user or to the users of a unit.
//
// UserID and UnitID say who sees it: a notification with a UserID is
// personal and shown only to that user; one without is shown to every user
// whose scope covers UnitID. A personal notification may still carry the
// UnitID it concerns, which decides the outbound channels that carry it.
// At least one of the two is set.
type Notification struct {
	ID     int64 `json:"id"`
	UserID int64 `json:"user_id,omitempty"`
	UnitID int64 `json:"unit_id,omitempty"`
	// SystemID is the information system the notification concerns (an
	// alert's system); 0 when none. Channels limited to a system carry
	// only the notifications about it.
	SystemID int64    `json:"system_id,omitempty"`
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	TitleVI  string   `json:"title_vi"`
	TitleEN  string   `json:"title_en"`
	BodyVI   string   `json:"body_vi,omitempty"`
	BodyEN   string   `json:"body_en,omitempty"`
	// Link is a URL path inside the application ("/systems/4"), or empty.
	Link string `json:"link,omitempty"`
	// DedupeKey, when not empty, makes creation idempotent: a second
	// notification with the same key is not stored (see Store). Include the
	// recipient and the occasion in it ("obligation_due:unit=4:annual_report:2026").
	DedupeKey string    `json:"dedupe_key,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// ReadAt is when the user a list was made for read it; zero when unread
	// or when no user was given (read state is kept per user).
	ReadAt time.Time `json:"read_at,omitzero"`
}

// Title returns the title in lang ("vi" or "en"), falling back to the other.
func (n Notification) Title(lang string) string { return pick(lang, n.TitleVI, n.TitleEN) }

// Body returns the body in lang ("vi" or "en"), falling back to the other.
func (n Notification) Body(lang string) string { return pick(lang, n.BodyVI, n.BodyEN) }

func pick(lang, vi, en string) string {
	if lang == "en" && en != "" || vi == "" {
		return en
	}
	return vi
}

// Limits on a notification's fields.
const (
	MaxTitle     = 300   // runes
	MaxBody      = 8000  // runes
	MaxLink      = 2048  // bytes
	MaxDedupeKey = 255   // bytes
	maxKind      = 64    // bytes
	maxErrorText = 1000  // runes kept of a delivery error
	maxConfig    = 16384 // bytes of a channel's config JSON
)

var kindRE = regexp.MustCompile(`^[a-z][a-z0-9_.]*$`)

// Validate checks and normalises the fields a caller supplies: it trims
// the texts, turns line breaks in titles into spaces and defaults the
// severity to Info.
func (n *Notification) Validate() error {
	if n.UserID < 0 || n.UnitID < 0 || n.UserID == 0 && n.UnitID == 0 {
		return errs.Invalid("unit_id", "err.unit_required")
	}
	if n.SystemID < 0 {
		return errs.Invalid("system_id", "err.invalid")
	}
	if len(n.Kind) > maxKind || !kindRE.MatchString(string(n.Kind)) {
		return errs.Invalid("kind", "err.invalid")
	}
	if n.Severity == "" {
		n.Severity = Info
	}
	if !n.Severity.Valid() {
		return errs.Invalid("severity", "err.invalid")
	}
	n.TitleVI, n.TitleEN = oneLine(n.TitleVI), oneLine(n.TitleEN)
	n.BodyVI, n.BodyEN = strings.TrimSpace(n.BodyVI), strings.TrimSpace(n.BodyEN)
	for _, f := range []struct {
		name, v  string
		max      int
		required bool
	}{
		{"title_vi", n.TitleVI, MaxTitle, true},
		{"title_en", n.TitleEN, MaxTitle, true},
		{"body_vi", n.BodyVI, MaxBody, false},
		{"body_en", n.BodyEN, MaxBody, false},
	} {
		if !utf8.ValidString(f.v) || f.required && f.v == "" {
			return errs.Invalid(f.name, "err.invalid")
		}
		if utf8.RuneCountInString(f.v) > f.max {
			return errs.Invalid(f.name, "err.too_long")
		}
	}
	if err := checkLink(n.Link); err != nil {
		return err
	}
	if len(n.DedupeKey) > MaxDedupeKey || !printable(n.DedupeKey) {
		return errs.Invalid("dedupe_key", "err.invalid")
	}
	return nil
}

// checkLink accepts an empty link or a path inside the application: it
// starts with one "/", has no scheme or host, and no spaces or controls.
func checkLink(link string) error {
	if link == "" {
		return nil
	}
	bad := errs.Invalid("link", "err.invalid")
	if len(link) > MaxLink || !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") ||
		strings.ContainsAny(link, `\ `) || !printable(link) {
		return bad
	}
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return bad
	}
	return nil
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// oneLine trims s and replaces every control character (line breaks
// included) with a space, so that a title is safe in a mail header.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}

// Filter selects the notifications a user sees: the personal ones
// addressed to UserID and the unit ones whose UnitID is in Units. Units nil
// means every unit and a non-nil empty Units none; UserID 0 selects no
// personal notification and gives no read state.
type Filter struct {
	UserID     int64
	Units      []int64
	UnreadOnly bool  // only those UserID has not read
	BeforeID   int64 // only ids below it (the next page); 0: from the newest
	Limit      int   // <= 0: no limit
}

// Store persists notifications, their per-user read state, the outbound
// channels and the delivery log. Its methods are safe for concurrent use,
// from one process or several on the same database.
//
// CreateNotification stores n and writes the stored form back to it (ID,
// times in UTC microseconds; a zero CreatedAt becomes now; ReadAt zero). It
// is idempotent on a non-empty DedupeKey: when a notification with that key
// exists, nothing is written, the existing one is written back to n and
// created is false; of concurrent creates with one key exactly one reports
// created. An unknown user or unit, or neither given, is errs.ErrInvalid.
//
// GetNotification returns a notification with a zero ReadAt.
// ListNotifications returns what f selects, newest (highest id) first,
// with ReadAt set for f.UserID. MarkNotificationRead records that userID
// read notification id at the given time; marking it again keeps the first
// time. A notification that does not exist, or is personal to another
// user, is errs.ErrNotFound; whether userID may see a unit notification is
// the caller's check. MarkAllRead marks read for f.UserID every
// notification f selects (ignoring Limit and UnreadOnly) and returns how
// many it marked; CountUnread counts those f.UserID has not read. Both need
// a UserID (errs.ErrInvalid otherwise).
//
// Channels are listed by id. A duplicate channel name is errs.ErrConflict;
// an unknown unit errs.ErrInvalid; UpdateChannel writes every field but
// CreatedAt, the secret included. DeleteChannel deletes its deliveries too.
//
// RecordDelivery appends one attempt to the log (a zero At becomes now).
// An unknown channel or notification is errs.ErrInvalid, and a second
// record of the same attempt for one channel and notification
// errs.ErrConflict. ListDeliveries returns the records f selects, newest
// (highest id) first.
type Store interface {
	CreateNotification(ctx context.Context, n *Notification) (created bool, err error)
	GetNotification(ctx context.Context, id int64) (Notification, error)
	ListNotifications(ctx context.Context, f Filter) ([]Notification, error)
	MarkNotificationRead(ctx context.Context, id, userID int64, at time.Time) error
	MarkAllRead(ctx context.Context, f Filter, at time.Time) (int, error)
	CountUnread(ctx context.Context, f Filter) (int, error)

	CreateChannel(ctx context.Context, c *ChannelConfig) error
	GetChannel(ctx context.Context, id int64) (ChannelConfig, error)
	ListChannels(ctx context.Context) ([]ChannelConfig, error)
	UpdateChannel(ctx context.Context, c *ChannelConfig) error
	DeleteChannel(ctx context.Context, id int64) error

	RecordDelivery(ctx context.Context, d *Delivery) error
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error)
}
