package incident

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/intel"
)

// ObservableKind is the kind of an observable: an indicator type of
// package intel (ip, cidr, domain, url, md5, sha1, sha256, sha512,
// file_name, email), or a user account or host name.
type ObservableKind string

// The kinds that are not indicator types.
const (
	Account ObservableKind = "account" // user account name (DOMAIN\user or user)
	Host    ObservableKind = "host"    // host name
)

// ObservableKinds lists every kind.
var ObservableKinds = func() []ObservableKind {
	var out []ObservableKind
	for _, t := range intel.Types {
		out = append(out, ObservableKind(t))
	}
	return append(out, Account, Host)
}()

// Observable is something seen in an incident — an address, a domain, a
// file hash, an account, a host — that the response looks for elsewhere.
type Observable struct {
	ID        int64          `json:"id"`
	CaseID    int64          `json:"case_id"`
	Kind      ObservableKind `json:"kind"`
	Value     string         `json:"value"`
	Note      string         `json:"note,omitempty"`
	AddedBy   int64          `json:"added_by,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
}

// MaxObservables is the most observables a case holds.
const MaxObservables = 10000

// Check validates an observable and normalises its value (indicator
// types as package intel normalises them; account and host names trimmed,
// hosts lower case).
func (o *Observable) Check() error {
	o.Note = strings.TrimSpace(o.Note)
	if utf8.RuneCountInString(o.Note) > MaxEvidenceText || !cleanText(o.Note, true) {
		return errs.Invalid("note", "err.too_long")
	}
	switch o.Kind {
	case Account, Host:
		o.Value = strings.TrimSpace(o.Value)
		if o.Value == "" {
			return errs.Invalid("value", "err.required")
		}
		if utf8.RuneCountInString(o.Value) > 255 || !cleanText(o.Value, false) || strings.ContainsAny(o.Value, `"`) {
			return errs.Invalid("value", "err.incident_observable", string(o.Kind))
		}
		if o.Kind == Host {
			o.Value = strings.ToLower(o.Value)
		}
		return nil
	}
	t := intel.Type(o.Kind)
	if !t.Valid() {
		return errs.Invalid("kind", "err.invalid")
	}
	v, err := intel.Normalize(t, o.Value)
	if err != nil {
		return errs.Invalid("value", "err.incident_observable", string(o.Kind))
	}
	o.Value = v
	return nil
}

// accountFields and hostFields are the event fields a hunt for an account
// or a host looks in (ECS and Windows event data).
var (
	accountFields = []string{"user.name", "source.user.name", "destination.user.name", "winlog.event_data.TargetUserName",
		"winlog.event_data.SubjectUserName"}
	hostFields = []string{"host.name", "host.hostname", "source.domain", "winlog.computer_name"}
)

// HuntQuery returns the LogsQL query that finds the events with the
// observable in any field of its kind: the pivot from a case into a hunt.
func (o Observable) HuntQuery() string {
	var fields []string
	switch o.Kind {
	case Account:
		fields = accountFields
	case Host:
		fields = hostFields
	default:
		return intel.NewMatcher([]intel.Indicator{{Type: intel.Type(o.Kind), Value: o.Value,
			Pattern: [][]intel.Comparison{{{Type: intel.Type(o.Kind), Value: o.Value}}}}}).SweepQuery()
	}
	terms := make([]string, len(fields))
	for i, f := range fields {
		// Windows writes names in any case: match them case-insensitively.
		terms[i] = f + `:i(` + strconv.Quote(o.Value) + `)`
	}
	return strings.Join(terms, " OR ")
}

// ObservableStore persists the observables of cases. Its methods are safe
// for concurrent use and stop when ctx is done.
//
// AddObservable stores o (ID and CreatedAt, now when zero, written back;
// times UTC to the microsecond); an unknown case is errs.ErrNotFound, a
// second observable of one case with the same Kind and Value
// errs.ErrConflict. ListObservables lists a case's by id (none for an
// unknown case). DeleteObservable deletes observable id of case caseID
// (errs.ErrNotFound when the case has no such observable).
type ObservableStore interface {
	AddObservable(ctx context.Context, o *Observable) error
	ListObservables(ctx context.Context, caseID int64) ([]Observable, error)
	DeleteObservable(ctx context.Context, caseID, id int64) error
}

// guessOrder is the order GuessObservable tries the kinds in: the most
// specific shapes first.
var guessOrder = []intel.Type{intel.IP, intel.CIDR, intel.MD5, intel.SHA1, intel.SHA256, intel.SHA512, intel.Email, intel.URL, intel.Domain}

// GuessObservable returns the observable a bare value most likely is — an
// IP address, a network, a hash by its length, an e-mail address, a URL,
// a domain — normalised; false when it is none of these (an indicator
// value shown without its type, as a hunt's results give it).
func GuessObservable(value string) (Observable, bool) {
	value = strings.TrimSpace(value)
	for _, t := range guessOrder {
		switch t {
		case intel.CIDR:
			if !strings.Contains(value, "/") || strings.Contains(value, "://") {
				continue
			}
		case intel.URL:
			if !strings.Contains(value, "://") {
				continue
			}
		case intel.Domain:
			if !strings.Contains(value, ".") || strings.ContainsAny(value, "/@ ") {
				continue
			}
		}
		o := Observable{Kind: ObservableKind(t), Value: value}
		if o.Check() == nil {
			return o, true
		}
	}
	return Observable{}, false
}
