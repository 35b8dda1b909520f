// Package intel holds threat intelligence: indicators of compromise (IPs,
// networks, domains, URLs, file hashes and names, e-mail addresses) with
// their source, TLP, confidence and validity, read from STIX 2.1 bundles,
// TAXII 2.1 collections, MISP events and feeds and CSV or plain lists, and
// written back as STIX 2.1 bundles and MISP events for sharing; and the
// sightings of indicators in Khiên's events. See docs/intel.md.
package intel

import (
	"context"
	"slices"
	"time"
)

// Type is the kind of value an indicator compares.
type Type string

// The indicator types. Values are stored normalised (Normalize): IPs and
// networks canonical, domains, hashes and e-mail addresses lower case.
const (
	IP       Type = "ip"        // IPv4 or IPv6 address
	CIDR     Type = "cidr"      // IPv4 or IPv6 network
	Domain   Type = "domain"    // domain name (exact; subdomains are indicators of their own)
	URL      Type = "url"       // full URL
	MD5      Type = "md5"       // file hash
	SHA1     Type = "sha1"      // file hash
	SHA256   Type = "sha256"    // file hash
	SHA512   Type = "sha512"    // file hash
	FileName Type = "file_name" // file name (no directory)
	Email    Type = "email"     // e-mail address
)

// Types lists every type.
var Types = []Type{IP, CIDR, Domain, URL, MD5, SHA1, SHA256, SHA512, FileName, Email}

// Valid reports whether t is one of Types.
func (t Type) Valid() bool { return slices.Contains(Types, t) }

// TLP is the Traffic Light Protocol (FIRST TLP 2.0) marking of an
// indicator: who it may be shared with.
type TLP string

// The TLP levels, least restricted first.
const (
	TLPClear       TLP = "clear"
	TLPGreen       TLP = "green"
	TLPAmber       TLP = "amber"
	TLPAmberStrict TLP = "amber+strict"
	TLPRed         TLP = "red"
)

// TLPs lists the levels, least restricted first.
var TLPs = []TLP{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}

// Rank orders TLP levels (clear 1 … red 5; unknown 0).
func (t TLP) Rank() int { return slices.Index(TLPs, t) + 1 }

// Comparison is one test of an indicator: an event field of the type
// equals the value (for CIDR: the address is in the network).
type Comparison struct {
	Type  Type   `json:"type"`
	Value string `json:"value"`
}

// Indicator is one indicator of compromise. Pattern is what it matches,
// in disjunctive normal form: the indicator matches an event when, for at
// least one conjunction, every comparison of it matches the event. Most
// indicators are one comparison ([[{ip 203.0.113.7}]]); a STIX pattern
// "[ipv4-addr:value = 'a' OR domain-name:value = 'b']" is two
// conjunctions of one, "[ipv4-addr:value = 'a' AND network-traffic:dst_port = 4444]"
// (when representable) one of two.
type Indicator struct {
	ID     int64 `json:"id"`
	UnitID int64 `json:"unit_id"` // the unit that owns it (sweeps and sharing are scoped by it)
	// Type and Value summarise the pattern for lists and look-ups: those
	// of its first comparison.
	Type        Type           `json:"type"`
	Value       string         `json:"value"`
	Pattern     [][]Comparison `json:"pattern"`
	Name        string         `json:"name,omitempty"`
	Description string         `json:"description,omitempty"`
	// Source names where it came from ("MISP CIRCL OSINT feed", "VNCERT
	// warning 123/CSO-2026", "manual").
	Source string `json:"source"`
	// ExternalID identifies it in its source (STIX id, MISP attribute
	// UUID), for merging repeated imports; "" for manual ones.
	ExternalID string    `json:"external_id,omitempty"`
	TLP        TLP       `json:"tlp"`
	Confidence int       `json:"confidence"` // 0–100 (STIX 2.1 scale)
	Labels     []string  `json:"labels,omitempty"`
	ValidFrom  time.Time `json:"valid_from,omitzero"`
	// ValidUntil is when it stops being matched; zero: no end.
	ValidUntil time.Time `json:"valid_until,omitzero"`
	// Revoked indicators are kept but never matched.
	Revoked   bool      `json:"revoked,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Active reports whether the indicator is matched at time t.
func (i Indicator) Active(t time.Time) bool {
	return !i.Revoked && (i.ValidFrom.IsZero() || !t.Before(i.ValidFrom)) && (i.ValidUntil.IsZero() || t.Before(i.ValidUntil))
}

// Sighting records that an indicator matched events: in one unit, by one
// hunt or sweep (0: live matching), first and last time seen, how many.
type Sighting struct {
	ID          int64     `json:"id"`
	IndicatorID int64     `json:"indicator_id"`
	UnitID      int64     `json:"unit_id"`
	HuntID      int64     `json:"hunt_id,omitempty"`
	Host        string    `json:"host,omitempty"`
	Field       string    `json:"field"` // the event field that matched
	Value       string    `json:"value"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Count       int64     `json:"count"`
	CreatedAt   time.Time `json:"created_at"`
}

// Filter selects indicators. Zero fields select everything; Units nil is
// every unit and a non-nil empty Units none.
type Filter struct {
	Units []int64
	Type  Type
	// Value selects indicators whose Value equals it (normalised).
	Value  string
	Source string
	// ActiveAt, when set, selects the indicators Active at that time.
	ActiveAt time.Time
	// MaxTLP, when set, selects indicators at that TLP or less restricted.
	MaxTLP   TLP
	BeforeID int64
	Limit    int
}

// Store persists indicators and sightings. Its methods are safe for
// concurrent use.
//
// UpsertIndicators stores each indicator: one with the same UnitID,
// Source and non-empty ExternalID as a stored one — or, without
// ExternalID, the same UnitID, Type and Value and no ExternalID — replaces
// its fields (CreatedAt kept, a zero UpdatedAt now), otherwise it is inserted.
// The stored form is written back (IDs); it returns how many were
// inserted and updated. All or nothing.
//
// ListIndicators returns what f selects, newest (highest id) first;
// CountIndicators counts them (ignoring BeforeID and Limit).
//
// RecordSighting adds count events to the sighting of (IndicatorID,
// UnitID, HuntID, Field, Value, Host), widening its times, or creates it.
type Store interface {
	UpsertIndicators(ctx context.Context, list []Indicator) (inserted, updated int, err error)
	GetIndicator(ctx context.Context, id int64) (Indicator, error)
	ListIndicators(ctx context.Context, f Filter) ([]Indicator, error)
	CountIndicators(ctx context.Context, f Filter) (int, error)
	DeleteIndicator(ctx context.Context, id int64) error
	RecordSighting(ctx context.Context, s *Sighting) error
	// ListSightings lists the sightings of an indicator, or of every
	// indicator when indicatorID <= 0.
	ListSightings(ctx context.Context, indicatorID int64, limit int) ([]Sighting, error)
}
