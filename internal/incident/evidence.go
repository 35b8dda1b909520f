package incident

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
)

// Evidence is one item of a case's evidence: a file (a disk or memory
// image, a log extract, a ransom note, a screenshot) kept under the
// SHA-256 computed when it arrived. The content lives in a file store; the
// database holds its description and its chain of custody.
type Evidence struct {
	ID     int64 `json:"id"`
	CaseID int64 `json:"case_id"`
	// Name is the file's name as given (no directories).
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	// ContentType is sniffed from the content, never taken from the client.
	ContentType string `json:"content_type"`
	// Source says where the item was taken from (host, path, device) and
	// CollectedBy who took it (a person or tool); CollectedAt when (zero:
	// when it was added).
	Source      string    `json:"source,omitempty"`
	CollectedBy string    `json:"collected_by,omitempty"`
	CollectedAt time.Time `json:"collected_at"`
	AddedBy     int64     `json:"added_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Limits on evidence descriptions.
const (
	MaxEvidenceName = 255 // runes
	MaxEvidenceText = 2000
)

// Check validates and trims an evidence item's description (not its
// hash, size and type, which the file store sets).
func (e *Evidence) Check() error {
	e.Name = strings.TrimSpace(e.Name)
	e.Description = strings.TrimSpace(e.Description)
	e.Source = strings.TrimSpace(e.Source)
	e.CollectedBy = strings.TrimSpace(e.CollectedBy)
	switch {
	case e.Name == "":
		return errs.Invalid("name", "err.required")
	case utf8.RuneCountInString(e.Name) > MaxEvidenceName || !cleanText(e.Name, false) || strings.ContainsAny(e.Name, `/\`):
		return errs.Invalid("name", "err.invalid")
	case utf8.RuneCountInString(e.Description) > MaxEvidenceText || !cleanText(e.Description, true):
		return errs.Invalid("description", "err.too_long")
	case utf8.RuneCountInString(e.Source) > 500 || !cleanText(e.Source, false):
		return errs.Invalid("source", "err.too_long")
	case utf8.RuneCountInString(e.CollectedBy) > 200 || !cleanText(e.CollectedBy, false):
		return errs.Invalid("collected_by", "err.too_long")
	}
	return nil
}

// CustodyAction is what was done with an evidence item.
type CustodyAction string

// The custody actions. Every access to an item, and every refused
// attempt, is one entry of its chain of custody.
const (
	// Collected: the item was taken and added to the case.
	Collected CustodyAction = "collected"
	// Viewed: its description and custody log were read.
	Viewed CustodyAction = "viewed"
	// Downloaded: its content was read.
	Downloaded CustodyAction = "downloaded"
	// Exported: it went out in a case export.
	Exported CustodyAction = "exported"
	// Verified: its content was checked against its SHA-256 and matched.
	Verified CustodyAction = "verified"
	// Tampered: its content no longer matches its SHA-256 (or is gone).
	Tampered CustodyAction = "tampered"
	// Denied: someone without the right to it tried to reach it.
	Denied CustodyAction = "denied"
)

// CustodyActions lists every custody action.
var CustodyActions = []CustodyAction{Collected, Viewed, Downloaded, Exported, Verified, Tampered, Denied}

// Custody is one entry of an evidence item's chain of custody. Entries are
// chained: Hash covers the entry and PrevHash, the Hash of the entry before
// it (empty for the first), so an entry changed or removed in the database
// breaks the chain (VerifyCustody).
type Custody struct {
	ID         int64         `json:"id"`
	EvidenceID int64         `json:"evidence_id"`
	CaseID     int64         `json:"case_id"`
	At         time.Time     `json:"at"`
	Action     CustodyAction `json:"action"`
	ActorID    int64         `json:"actor_id,omitempty"`
	Actor      string        `json:"actor"`
	IP         string        `json:"ip,omitempty"`
	Detail     string        `json:"detail,omitempty"`
	PrevHash   string        `json:"prev_hash,omitempty"`
	Hash       string        `json:"hash"`
}

// Seal normalises c.At (UTC, microseconds: what the stores keep) and sets
// c.PrevHash to prev and c.Hash to the entry's hash.
func (c *Custody) Seal(prev string) {
	c.At = c.At.UTC().Truncate(time.Microsecond)
	c.PrevHash = prev
	c.Hash = c.hash()
}

func (c *Custody) hash() string {
	h := sha256.New()
	for _, s := range []string{"khien-custody-v1", strconv.FormatInt(c.EvidenceID, 10), strconv.FormatInt(c.CaseID, 10),
		strconv.FormatInt(c.At.UTC().UnixMicro(), 10), string(c.Action), strconv.FormatInt(c.ActorID, 10), c.Actor, c.IP,
		c.Detail, c.PrevHash} {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyCustody checks a chain of custody as listed (oldest first): each
// entry's hash and its link to the one before. It returns the index of the
// first entry that does not hold, or -1 when the whole chain does.
func VerifyCustody(chain []Custody) int {
	prev := ""
	for i, c := range chain {
		if c.PrevHash != prev || c.Hash != c.hash() {
			return i
		}
		prev = c.Hash
	}
	return -1
}

// EvidenceStore persists evidence items and their chains of custody. Its
// methods are safe for concurrent use and stop when ctx is done.
//
// (The names say Incident: compliance.Store has evidence methods too and
// one database implements both.)
//
// AddIncidentEvidence stores e and its first custody entry, first, atomically:
// e.ID and e.CreatedAt (now when zero) are written back, times UTC to the
// microsecond; first gets EvidenceID and CaseID from e, is sealed as the
// head of the chain (first.Seal("")) and stored, its ID written back. An
// unknown case is errs.ErrNotFound. GetIncidentEvidence returns
// errs.ErrNotFound for an unknown id; ListIncidentEvidence a case's items by id (none for an
// unknown case).
//
// AppendCustody stores c at the end of its item's chain: it reads the
// last entry's Hash, calls c.Seal with it and inserts c (ID written back;
// CaseID taken from the item) — serialised per item, so two concurrent
// appends never both follow the same entry. An unknown item is
// errs.ErrNotFound. ListCustody lists an item's chain by id.
type EvidenceStore interface {
	AddIncidentEvidence(ctx context.Context, e *Evidence, first *Custody) error
	GetIncidentEvidence(ctx context.Context, id int64) (Evidence, error)
	ListIncidentEvidence(ctx context.Context, caseID int64) ([]Evidence, error)
	AppendCustody(ctx context.Context, c *Custody) error
	ListCustody(ctx context.Context, evidenceID int64) ([]Custody, error)
}
