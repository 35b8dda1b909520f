// Package asset holds the things information systems are made of — hosts,
// applications, network devices, databases and cloud resources — with the
// identifiers (host names, IP addresses and ranges, domain names) through
// which telemetry, vulnerabilities and backups are later attributed to them
// and so to the systems they belong to.
package asset

import (
	"context"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
)

// Kind is what an asset is.
type Kind string

// The asset kinds.
const (
	Host          Kind = "host"
	Application   Kind = "application"
	NetworkDevice Kind = "network_device"
	Database      Kind = "database"
	CloudResource Kind = "cloud_resource"
)

// Kinds lists every kind.
var Kinds = []Kind{Host, Application, NetworkDevice, Database, CloudResource}

// IDType is the type of an identifier.
type IDType string

// The identifier types.
const (
	Hostname IDType = "hostname"
	IP       IDType = "ip"
	CIDR     IDType = "cidr"
	FQDN     IDType = "fqdn"
	URL      IDType = "url"
	CloudID  IDType = "cloud_id"
)

// IDTypes lists every identifier type.
var IDTypes = []IDType{Hostname, IP, CIDR, FQDN, URL, CloudID}

// Identifier names an asset on the network or in a provider.
type Identifier struct {
	Type  IDType `json:"type"`
	Value string `json:"value"`
}

// Asset is one host, application, device, database or cloud resource.
type Asset struct {
	ID          int64        `json:"id"`
	UnitID      int64        `json:"unit_id"`
	Kind        Kind         `json:"kind"`
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Identifiers []Identifier `json:"identifiers"`
	// SystemIDs are the information systems the asset belongs to (many-to-many).
	SystemIDs []int64   `json:"system_ids"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Filter selects assets. Units nil means all units.
type Filter struct {
	Units    []int64
	SystemID int64
	Kind     Kind
	Limit    int
}

// Store persists assets and their links to systems. CreateAsset and
// UpdateAsset write the identifiers and system links too; an unknown
// system id gives errs.ErrInvalid.
type Store interface {
	CreateAsset(ctx context.Context, a *Asset) error
	GetAsset(ctx context.Context, id int64) (Asset, error)
	UpdateAsset(ctx context.Context, a *Asset) error
	DeleteAsset(ctx context.Context, id int64) error
	ListAssets(ctx context.Context, f Filter) ([]Asset, error)
}

var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9_-]{0,62}))*\.?$`)

// Normalize returns the canonical form of an identifier, or an ErrInvalid
// error saying why it is not one.
func (id Identifier) Normalize() (Identifier, error) {
	v := strings.TrimSpace(id.Value)
	bad := errs.Invalid("identifiers", "err.asset_identifier", string(id.Type), id.Value)
	switch id.Type {
	case Hostname, FQDN:
		v = strings.ToLower(strings.TrimSuffix(v, "."))
		if len(v) > 253 || !hostnameRE.MatchString(v) || (id.Type == FQDN && !strings.Contains(v, ".")) {
			return id, bad
		}
	case IP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return id, bad
		}
		v = a.Unmap().String()
	case CIDR:
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return id, bad
		}
		v = p.Masked().String()
	case URL:
		if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") || len(v) > 2048 {
			return id, bad
		}
	case CloudID:
		if v == "" || len(v) > 512 {
			return id, bad
		}
	default:
		return id, errs.Invalid("identifiers", "err.asset_identifier_type", string(id.Type))
	}
	return Identifier{Type: id.Type, Value: v}, nil
}

// Validate checks and normalises the fields a caller supplies.
func (a *Asset) Validate() error {
	a.Name = strings.TrimSpace(a.Name)
	a.Description = strings.TrimSpace(a.Description)
	if !slices.Contains(Kinds, a.Kind) {
		return errs.Invalid("kind", "err.asset_kind", string(a.Kind))
	}
	if a.Name == "" || utf8.RuneCountInString(a.Name) > 200 {
		return errs.Invalid("name", "err.asset_name")
	}
	if utf8.RuneCountInString(a.Description) > 4000 {
		return errs.Invalid("description", "err.too_long")
	}
	if a.UnitID <= 0 {
		return errs.Invalid("unit_id", "err.unit_required")
	}
	if len(a.Identifiers) > 100 {
		return errs.Invalid("identifiers", "err.asset_identifiers_many")
	}
	out := make([]Identifier, 0, len(a.Identifiers))
	for _, id := range a.Identifiers {
		n, err := id.Normalize()
		if err != nil {
			return err
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	a.Identifiers = out
	slices.Sort(a.SystemIDs)
	a.SystemIDs = slices.Compact(a.SystemIDs)
	return nil
}

// ParseIdentifiers reads identifiers written one per line or separated by
// commas or spaces, guessing each one's type: an IP address, a CIDR range,
// a URL, a dotted name (FQDN) or a bare host name. "type:value" forces a type.
func ParseIdentifiers(s string) ([]Identifier, error) {
	var out []Identifier
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == ' ' || r == '\t' || r == '\r' }) {
		var id Identifier
		if t, v, ok := strings.Cut(f, ":"); ok && slices.Contains(IDTypes, IDType(t)) {
			id = Identifier{Type: IDType(t), Value: v}
		} else {
			id = Identifier{Type: guess(f), Value: f}
		}
		n, err := id.Normalize()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func guess(v string) IDType {
	switch {
	case strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://"):
		return URL
	case strings.Contains(v, "/"):
		return CIDR
	}
	if _, err := netip.ParseAddr(v); err == nil || strings.Trim(v, "0123456789.") == "" || strings.Count(v, ":") > 1 {
		return IP // also what only looks like an address, so that a typo is refused, not taken as a name
	}
	if strings.Contains(strings.TrimSuffix(v, "."), ".") {
		return FQDN
	}
	return Hostname
}

// Matches reports whether the asset is named by value: an identifier equal
// to it, or, for an IP address, a CIDR range containing it.
func (a Asset) Matches(value string) bool {
	v := strings.ToLower(strings.TrimSpace(value))
	ip, ipErr := netip.ParseAddr(v)
	for _, id := range a.Identifiers {
		if id.Value == v {
			return true
		}
		if id.Type == CIDR && ipErr == nil {
			if p, err := netip.ParsePrefix(id.Value); err == nil && p.Contains(ip.Unmap()) {
				return true
			}
		}
	}
	return false
}
