// Package audit is Khiên's append-only record of who did what: a product
// feature, not a log. Entries form a SHA-256 hash chain, so that editing or
// deleting a row in the database is detected by Verify.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Entry is one audited action. Seq, PrevHash and Hash are assigned by the
// Store when the entry is appended.
type Entry struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"`
	ActorID  int64     `json:"actor_id,omitempty"`
	Actor    string    `json:"actor"`
	UnitID   int64     `json:"unit_id,omitempty"`
	Action   string    `json:"action"`
	Target   string    `json:"target,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	IP       string    `json:"ip,omitempty"`
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

// Genesis is the PrevHash of the first entry.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the chain hash of e given the hash of the entry before it.
// Time is taken at microsecond precision, which every backend stores exactly.
func ComputeHash(prevHash string, e Entry) string {
	var b strings.Builder
	field := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
		b.WriteByte('|')
	}
	field(strconv.FormatInt(e.Seq, 10))
	field(strconv.FormatInt(e.Time.UnixMicro(), 10))
	field(strconv.FormatInt(e.ActorID, 10))
	field(e.Actor)
	field(strconv.FormatInt(e.UnitID, 10))
	field(e.Action)
	field(e.Target)
	field(e.Detail)
	field(e.IP)
	field(prevHash)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// Filter selects entries for listing. Units nil means all units; entries
// with UnitID 0 (system-wide) are included only when IncludeGlobal is set.
type Filter struct {
	Units         []int64
	IncludeGlobal bool
	Action        string // prefix match, e.g. "user."
	ActorID       int64
	BeforeSeq     int64 // cursor: only entries with Seq < BeforeSeq (0 = newest)
	Limit         int
}

// Store persists the chain. AppendAudit must, atomically with respect to
// other appends (also from other processes), assign Seq = last Seq + 1,
// PrevHash = last Hash (Genesis for the first), Hash = ComputeHash(PrevHash, e),
// and store e. ScanAudit calls fn for every entry with Seq > afterSeq, in Seq
// order, stopping at the first error fn returns. AuditHead returns the Seq and
// Hash of the last appended entry as recorded apart from the entries
// themselves (0 and Genesis when empty), so that deleting the newest rows
// is detected too.
type Store interface {
	AppendAudit(ctx context.Context, e *Entry) error
	AuditHead(ctx context.Context) (seq int64, hash string, err error)
	ListAudit(ctx context.Context, f Filter) ([]Entry, error)
	ScanAudit(ctx context.Context, afterSeq int64, fn func(Entry) error) error
	CountAudit(ctx context.Context) (int64, error)
}

// Log records entries. It is safe for concurrent use.
type Log struct {
	store  Store
	now    func() time.Time
	logger *slog.Logger
}

// NewLog returns a Log over store. logger may be nil.
func NewLog(store Store, logger *slog.Logger) *Log {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Log{store: store, now: time.Now, logger: logger.With("component", "audit")}
}

// Record appends e, stamping the time. A failure is returned: callers decide
// whether the audited action may proceed without its record.
func (l *Log) Record(ctx context.Context, e Entry) error {
	e.Time = l.now().UTC().Truncate(time.Microsecond)
	if err := l.store.AppendAudit(ctx, &e); err != nil {
		l.logger.Error("audit append failed", "action", e.Action, "err", err)
		return fmt.Errorf("append audit entry: %w", err)
	}
	return nil
}

// List returns entries matching f, newest first.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	return l.store.ListAudit(ctx, f)
}

// Count returns the number of entries.
func (l *Log) Count(ctx context.Context) (int64, error) { return l.store.CountAudit(ctx) }

// Break describes the first place where the chain does not hold.
type Break struct {
	Seq    int64  // the first entry that fails, or the expected Seq of a missing one
	Reason string // "hash mismatch", "prev hash mismatch", "missing entry"
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit chain broken at seq %d: %s", b.Seq, b.Reason)
}

// Verify walks the whole chain. It returns the number of entries checked and
// a *Break error at the first row that was edited, deleted or inserted out
// of order. progress, if not nil, is called every 1,000 entries.
//
// Entries may be appended while Verify runs. It verifies the chain as it
// stood when it began — up to the head it read first, whose hash the chain
// must reach — and the entries appended since as far as it reads them; it
// stops once it has passed that first head, however fast appends go on.
// An entry beyond the head recorded after it was read is a row inserted
// behind the log's back.
func Verify(ctx context.Context, store Store, progress func(checked int64)) (int64, error) {
	startSeq, startHash, err := store.AuditHead(ctx)
	if err != nil {
		return 0, fmt.Errorf("read audit head: %w", err)
	}
	prev := Genesis
	var last, checked int64
	check := func(e Entry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case e.Seq != last+1:
			return &Break{Seq: last + 1, Reason: "missing entry"}
		case e.PrevHash != prev:
			return &Break{Seq: e.Seq, Reason: "prev hash mismatch"}
		case ComputeHash(e.PrevHash, e) != e.Hash:
			return &Break{Seq: e.Seq, Reason: "hash mismatch"}
		case e.Seq == startSeq && e.Hash != startHash:
			return &Break{Seq: e.Seq, Reason: "head hash mismatch"}
		}
		prev, last = e.Hash, e.Seq
		checked++
		if progress != nil && checked%1000 == 0 {
			progress(checked)
		}
		return nil
	}
	for {
		before := last
		if err := store.ScanAudit(ctx, last, check); err != nil {
			return checked, err
		}
		headSeq, _, err := store.AuditHead(ctx)
		if err != nil {
			return checked, fmt.Errorf("read audit head: %w", err)
		}
		switch {
		case last > headSeq:
			// Every append moves the head in the same transaction, so a row
			// read before this head was read cannot be beyond it.
			return checked, &Break{Seq: headSeq + 1, Reason: "entry beyond recorded head"}
		case last >= startSeq:
			return checked, nil
		case last == before:
			// The head is ahead but no entry came: the newest rows are gone.
			return checked, &Break{Seq: last + 1, Reason: "missing entry"}
		}
	}
}
