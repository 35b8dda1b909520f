package vuln

import (
	"context"
	"time"

	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/inventory"
)

// Import is one inventory file imported for an asset: when, by whom, what
// the file said, and its packages.
type Import struct {
	ID      int64  `json:"id"`
	AssetID int64  `json:"asset_id"`
	UnitID  int64  `json:"unit_id"`
	Format  string `json:"format"`
	Tool    string `json:"tool,omitempty"`
	Distro  string `json:"distro,omitempty"`
	Release string `json:"release,omitempty"`
	// FileCreated is when the file says it was made (zero: unknown);
	// ImportedAt when Khiên took it.
	FileCreated time.Time `json:"file_created,omitzero"`
	ImportedAt  time.Time `json:"imported_at"`
	ImportedBy  int64     `json:"imported_by,omitempty"`
	// SHA256 is the hash of the file as uploaded.
	SHA256       string              `json:"sha256"`
	PackageCount int                 `json:"package_count"`
	Packages     []inventory.Package `json:"packages,omitempty"` // not filled by ListInventoryImports
}

// AdvisoryDoc is an advisory as stored: its source and id, when it was
// last modified (the newer one wins), and the advisory itself.
type AdvisoryDoc struct {
	Source   string
	ID       string
	Modified time.Time
	Advisory advisory.Advisory
}

// Status is where a finding stands.
type Status string

// The statuses.
const (
	// Open: the last inventory of the asset has the vulnerable version.
	Open Status = "open"
	// Fixed: a later inventory has a version outside the affected ranges,
	// or no longer has the package (FixedImportID, FixedVersion are the
	// proof).
	Fixed Status = "fixed"
	// Accepted: the risk is accepted by an approver, with a reason, until
	// an expiry date; it is open again after that.
	Accepted Status = "accepted"
)

// StoredFinding is a finding of one asset as kept over time.
type StoredFinding struct {
	ID      int64 `json:"id"`
	UnitID  int64 `json:"unit_id"`
	AssetID int64 `json:"asset_id"`
	Finding
	Status    Status    `json:"status"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// ImportID is the import that last showed it; DueAt when it must be
	// fixed (the SLA).
	ImportID int64     `json:"import_id"`
	DueAt    time.Time `json:"due_at,omitzero"`
	// The proof of the fix: when, the import that showed it, the version
	// then installed ("" when the package was gone).
	FixedAt       time.Time `json:"fixed_at,omitzero"`
	FixedImportID int64     `json:"fixed_import_id,omitempty"`
	FixedVersion  string    `json:"fixed_version,omitempty"`
	// The risk acceptance: who approved it, why, until when.
	AcceptedBy   string    `json:"accepted_by,omitempty"`
	AcceptReason string    `json:"accept_reason,omitempty"`
	AcceptUntil  time.Time `json:"accept_until,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Key identifies a finding of an asset across imports: the package (by
// ecosystem, name and architecture, whatever its version) and the
// vulnerability.
func (f StoredFinding) Key() FindingKey {
	return FindingKey{Ecosystem: f.Ecosystem, Package: f.Package, Arch: f.Arch, VulnID: f.VulnID}
}

// FindingKey identifies a finding of an asset.
type FindingKey struct{ Ecosystem, Package, Arch, VulnID string }

// EPSSInfo describes the stored EPSS scores: the model version and score
// date of the file they came from, and how many CVEs are scored.
type EPSSInfo struct {
	Model     string    `json:"model,omitempty"`
	ScoreDate time.Time `json:"score_date,omitzero"`
	Count     int       `json:"count"`
}

// FeedState is where the scheduled fetching of one advisory feed stands.
type FeedState struct {
	// Name identifies the feed: "osv:<ecosystem>", "csaf:<host><path>",
	// "kev", "nvd", "epss".
	Name string `json:"name"`
	// Cursor is what the next run starts from, as the feed needs it (the
	// newest modification time seen, RFC 3339; "" fetches everything).
	Cursor string `json:"cursor,omitempty"`
	// LastRun is when it last ran; LastOK when it last succeeded; LastError
	// why the last run failed ("" when it did not); Written how many
	// records the last successful run wrote.
	LastRun   time.Time `json:"last_run"`
	LastOK    time.Time `json:"last_ok,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	Written   int       `json:"written"`
}

// FindingFilter selects findings.
type FindingFilter struct {
	// Units are the units whose findings to list (nil: none).
	Units    []int64
	AssetID  int64
	SystemID int64  // only findings of the system's assets
	Status   Status // "": any
	Severity Severity
	KEV      bool // only KEV findings
	Limit    int  // 0: 100
	Offset   int
}

// Store persists imports, advisories and findings. (The names say
// Inventory and Vuln where another domain's store has a method of the same
// name: one database implements every store.)
//
// Store persists imports, advisories and findings. Its methods are safe
// for concurrent use and stop when ctx is done.
//
// AddInventoryImport stores imp with its packages (ID and ImportedAt, now when
// zero, written back; times UTC to the microsecond). GetInventoryImport returns an
// import with its packages (errs.ErrNotFound for an unknown id);
// LastInventoryImport the newest import of an asset with its packages (false when
// none); ListInventoryImports an asset's imports newest first, without packages.
//
// PutAdvisories stores docs all or nothing: each replaces the stored one
// of the same Source and ID only when its Modified is later (or there is
// none); it returns how many were written. EachAdvisory calls fn for every
// stored advisory (any order), stopping at fn's first error.
// CountAdvisories returns how many are stored per source. ReplaceKEV
// replaces the stored KEV catalogue; ListKEV returns it.
//
// ReplaceEPSS replaces the stored EPSS scores with list (one per CVE;
// a CVE given twice is errs.ErrInvalid), all or nothing, recording the
// model version and score date; EPSSScores returns the stored scores of
// the CVEs given (those without a score are absent); EPSSInfo says what is
// stored (zero when nothing).
//
// GetVulnFeed returns the state of a scheduled advisory feed by name
// (false when never run); PutVulnFeed writes it (inserted or replaced);
// ListVulnFeeds returns every feed's state by name.
//
// SaveVulnFindings reads an asset's findings, calls apply with them and
// stores what apply returns — new ones (ID 0) inserted, the others
// updated — atomically: concurrent saves of one asset are serialised.
// A finding is unique per asset and Key (errs.ErrConflict). ListVulnFindings
// returns the findings f selects, most severe first, then due date, then
// id, and the total without Limit/Offset. UpdateVulnFinding reads one
// finding, calls update on it and writes it back atomically
// (errs.ErrNotFound for an unknown id). VulnFindingStats returns the
// FindingStat of every finding of units (nil or empty: none) that is open
// or accepted, or was fixed at or after fixedSince, by id.
type Store interface {
	AddInventoryImport(ctx context.Context, imp *Import) error
	GetInventoryImport(ctx context.Context, id int64) (Import, error)
	LastInventoryImport(ctx context.Context, assetID int64) (Import, bool, error)
	ListInventoryImports(ctx context.Context, assetID int64, limit int) ([]Import, error)

	PutAdvisories(ctx context.Context, docs []AdvisoryDoc) (int, error)
	EachAdvisory(ctx context.Context, fn func(AdvisoryDoc) error) error
	CountAdvisories(ctx context.Context) (map[string]int, error)
	ReplaceKEV(ctx context.Context, catalogVersion string, list []advisory.KEV) error
	ListKEV(ctx context.Context) ([]advisory.KEV, error)

	ReplaceEPSS(ctx context.Context, model string, scoreDate time.Time, list []advisory.EPSS) error
	EPSSScores(ctx context.Context, cves []string) (map[string]advisory.EPSS, error)
	EPSSInfo(ctx context.Context) (EPSSInfo, error)

	GetVulnFeed(ctx context.Context, name string) (FeedState, bool, error)
	PutVulnFeed(ctx context.Context, st FeedState) error
	ListVulnFeeds(ctx context.Context) ([]FeedState, error)

	SaveVulnFindings(ctx context.Context, assetID int64, apply func(current []StoredFinding) ([]StoredFinding, error)) error
	ListVulnFindings(ctx context.Context, f FindingFilter) ([]StoredFinding, int, error)
	UpdateVulnFinding(ctx context.Context, id int64, update func(*StoredFinding) error) (StoredFinding, error)
	VulnFindingStats(ctx context.Context, units []int64, fixedSince time.Time) ([]FindingStat, error)
}

// FindingStat is the part of a stored finding that dashboards count.
type FindingStat struct {
	ID, AssetID, UnitID int64
	Severity            Severity
	Status              Status
	KEV, Ransomware     bool
	Warned              bool // a national warning names it
	FirstSeen, DueAt    time.Time
	FixedAt             time.Time
	AcceptUntil         time.Time
}
