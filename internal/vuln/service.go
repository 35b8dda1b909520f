package vuln

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/inventory"
)

// Assets is what the Service needs of the asset register.
type Assets interface {
	GetAsset(ctx context.Context, id int64) (asset.Asset, error)
}

// Service imports inventories and advisories and keeps the findings, with
// authorisation (vuln.read, vuln.write, vuln.accept on the asset's unit;
// advisories, shared by every unit, need vuln.write and a top-level unit)
// and auditing. It is safe for concurrent use.
type Service struct {
	store    Store
	assets   Assets
	systems  system.Getter
	audit    *audit.Log
	sla      *SLA
	now      func() time.Time
	onFixed  func(ctx context.Context, a asset.Asset, fixed []StoredFinding)
	onImport func(ctx context.Context, a asset.Asset, imp Import)
	warned   Warnings

	mu    sync.Mutex
	index *Index // nil: to build from the store
}

// NewService returns a Service over store with Khiên's default SLA; log
// may be nil (tests).
func NewService(store Store, assets Assets, systems system.Getter, log *audit.Log) *Service {
	return &Service{store: store, assets: assets, systems: systems, audit: log, sla: DefaultSLA(), now: time.Now}
}

// SetClock replaces the service's clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// SetSLA replaces the SLA matrix.
func (s *Service) SetSLA(sla *SLA) { s.sla = sla }

// OnFixed sets a function called with the findings an import proves
// fixed that call for a retro-hunt (NeedsRetroHunt), with their asset.
func (s *Service) OnFixed(f func(ctx context.Context, a asset.Asset, fixed []StoredFinding)) {
	s.onFixed = f
}

// OnImport sets a function called after each inventory import is stored
// and reconciled, with its asset and the import (without its packages).
func (s *Service) OnImport(f func(ctx context.Context, a asset.Asset, imp Import)) { s.onImport = f }

// Warnings gives the national warnings that bear on an asset.
type Warnings interface {
	// CVEWarnings returns, by CVE, the open national warnings that bear on
	// asset a: the warning's number (or title) and its action deadline
	// (zero: none).
	CVEWarnings(ctx context.Context, a asset.Asset) (map[string]WarningFlag, error)
}

// WarningFlag is a national warning naming a CVE: its reference and the
// deadline for acting on it.
type WarningFlag struct {
	Ref string
	Due time.Time
}

// SetWarnings sets where the national warnings come from (nil: none).
func (s *Service) SetWarnings(w Warnings) { s.warned = w }

func (s *Service) record(ctx context.Context, p *authz.Principal, unitID int64, action, target, detail string) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: unitID,
		Action: action, Target: target, Detail: detail})
}

// ImportResult is what an inventory import did.
type ImportResult struct {
	Import Import `json:"import"`
	// Opened and Fixed are the findings this import opened (or reopened)
	// and proved fixed; Open how many of the asset's findings are open
	// after it; Problems how many packages or advisory entries could not be
	// evaluated (their versions do not parse).
	Opened   []StoredFinding `json:"opened"`
	Fixed    []StoredFinding `json:"fixed"`
	Open     int             `json:"open"`
	Problems int             `json:"problems"`
}

// ImportInventory imports an inventory file of asset assetID (vuln.write
// on its unit): it is parsed whole first — a malformed file is an error
// and nothing is stored — then stored, matched against the advisories,
// and the asset's findings reconciled: new ones opened with their SLA due
// date (from the highest level of the asset's systems), the ones no longer
// found fixed with this import as proof.
func (s *Service) ImportInventory(ctx context.Context, p *authz.Principal, assetID int64, format string, data []byte,
	o inventory.Options) (ImportResult, error) {
	a, err := s.assets.GetAsset(ctx, assetID)
	if err != nil {
		return ImportResult{}, err
	}
	if err := p.Authorize(authz.PermVulnWrite, a.UnitID); err != nil {
		return ImportResult{}, err
	}
	if format == "" {
		f, ok := inventory.Detect(data)
		if !ok {
			return ImportResult{}, errs.Invalid("format", "err.inventory_format")
		}
		format = f
	}
	inv, err := inventory.Parse(format, bytes.NewReader(data), o)
	if err != nil {
		return ImportResult{}, errs.Invalid("file", "err.inventory_file", err.Error())
	}
	sum := sha256.Sum256(data)
	now := s.now()
	imp := Import{AssetID: a.ID, UnitID: a.UnitID, Format: inv.Format, Tool: inv.Tool, Distro: inv.Distro, Release: inv.Release,
		FileCreated: inv.Created, ImportedAt: now, ImportedBy: p.UserID, SHA256: hex.EncodeToString(sum[:]),
		PackageCount: len(inv.Packages), Packages: inv.Packages}
	if err := s.store.AddInventoryImport(ctx, &imp); err != nil {
		return ImportResult{}, err
	}
	ix, err := s.Index(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	flags, warnDue, err := s.flags(ctx, a)
	if err != nil {
		return ImportResult{}, err
	}
	matches, problems := ix.Match(inv.Packages)
	found := Merge(matches, flags)
	level, err := s.level(ctx, a)
	if err != nil {
		return ImportResult{}, err
	}
	var r Reconciled
	err = s.store.SaveVulnFindings(ctx, a.ID, func(current []StoredFinding) ([]StoredFinding, error) {
		r = Reconcile(current, found, imp, a.UnitID, level, s.sla, warnDue, now)
		return r.Next, nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Import: imp, Opened: r.Opened, Fixed: r.Fixed, Problems: len(problems)}
	res.Import.Packages = nil
	for _, f := range r.Next {
		if f.Status == Open {
			res.Open++
		}
	}
	var hunt []StoredFinding
	for _, f := range r.Fixed {
		if NeedsRetroHunt(f) {
			hunt = append(hunt, f)
		}
	}
	if len(hunt) > 0 && s.onFixed != nil {
		s.onFixed(ctx, a, hunt)
	}
	if s.onImport != nil {
		s.onImport(ctx, a, res.Import)
	}
	detail := fmt.Sprintf("%s, %d packages: %d opened, %d fixed, %d open", imp.Format, imp.PackageCount, len(r.Opened), len(r.Fixed), res.Open)
	return res, s.record(ctx, p, a.UnitID, "vuln.import", "asset:"+strconv.FormatInt(a.ID, 10), detail)
}

// level returns the highest security level (approved, else proposed) of
// the asset's systems; 0 when it belongs to none with a level.
func (s *Service) level(ctx context.Context, a asset.Asset) (int, error) {
	level := 0
	for _, id := range a.SystemIDs {
		sys, err := s.systems.GetSystem(ctx, id)
		if err != nil {
			return 0, err
		}
		l := sys.ApprovedLevel
		if l == 0 {
			l = sys.ProposedLevel
		}
		level = max(level, l)
	}
	return level, nil
}

// kevFlags returns the KEV catalogue by CVE.
func (s *Service) kevFlags(ctx context.Context) (map[string]advisory.KEV, error) {
	kev, err := s.store.ListKEV(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]advisory.KEV, len(kev))
	for _, k := range kev {
		out[k.CVE] = k
	}
	return out, nil
}

// warnings returns the national warnings bearing on asset a by CVE, and
// their deadlines.
func (s *Service) warnings(ctx context.Context, a asset.Asset) (map[string]string, func(string) time.Time, error) {
	refs := map[string]string{}
	if s.warned == nil {
		return refs, func(string) time.Time { return time.Time{} }, nil
	}
	warned, err := s.warned.CVEWarnings(ctx, a)
	if err != nil {
		return nil, nil, fmt.Errorf("national warnings of asset %d: %w", a.ID, err)
	}
	for cve, w := range warned {
		refs[cve] = w.Ref
	}
	return refs, func(cve string) time.Time { return warned[cve].Due }, nil
}

// flags returns the KEV catalogue and the national warnings bearing on
// asset a by CVE, and the warnings' deadlines.
func (s *Service) flags(ctx context.Context, a asset.Asset) (Flags, func(string) time.Time, error) {
	kev, err := s.kevFlags(ctx)
	if err != nil {
		return Flags{}, nil, err
	}
	refs, due, err := s.warnings(ctx, a)
	if err != nil {
		return Flags{}, nil, err
	}
	return Flags{KEV: kev, Warnings: refs}, due, nil
}

// Reflag brings the flags of every finding not fixed up to date — the KEV
// catalogue and the national warnings may have changed since the import
// that found it — and their SLA due dates with them. It runs as the
// system (a background job, no principal) and returns how many findings
// changed. An asset that cannot be updated is skipped and its error
// returned with the others' once every asset has been tried.
func (s *Service) Reflag(ctx context.Context) (int, error) {
	l, ok := s.assets.(AssetLister)
	if !ok {
		return 0, nil
	}
	assets, err := l.ListAssets(ctx, asset.Filter{})
	if err != nil {
		return 0, err
	}
	unitSet, byID := map[int64]bool{}, map[int64]asset.Asset{}
	for _, a := range assets {
		unitSet[a.UnitID], byID[a.ID] = true, a
	}
	units := make([]int64, 0, len(unitSet))
	for u := range unitSet {
		units = append(units, u)
	}
	stats, err := s.store.VulnFindingStats(ctx, units, s.now().Add(time.Hour)) // no fixed finding
	if err != nil {
		return 0, err
	}
	kev, err := s.kevFlags(ctx)
	if err != nil {
		return 0, err
	}
	var (
		changed int
		errList []error
		done    = map[int64]bool{}
	)
	for _, st := range stats {
		a, ok := byID[st.AssetID]
		if done[st.AssetID] || !ok {
			continue
		}
		done[st.AssetID] = true
		n, err := s.reflagAsset(ctx, a, kev)
		changed += n
		if err != nil {
			errList = append(errList, err)
		}
	}
	return changed, errors.Join(errList...)
}

// reflagAsset updates the flags and due dates of asset a's findings not
// fixed.
func (s *Service) reflagAsset(ctx context.Context, a asset.Asset, kev map[string]advisory.KEV) (int, error) {
	refs, warnDue, err := s.warnings(ctx, a)
	if err != nil {
		return 0, err
	}
	level, err := s.level(ctx, a)
	if err != nil {
		return 0, err
	}
	changed := 0
	err = s.store.SaveVulnFindings(ctx, a.ID, func(cur []StoredFinding) ([]StoredFinding, error) {
		changed = 0
		for i := range cur {
			f := &cur[i]
			if f.Status == Fixed {
				continue
			}
			was := *f
			k, isKEV := kev[f.VulnID]
			f.KEV, f.KEVDue, f.Ransomware = isKEV, k.Due, isKEV && k.Ransomware
			f.Warning = refs[f.VulnID]
			var wdue time.Time
			if f.Warning != "" {
				wdue = warnDue(f.VulnID)
			}
			f.DueAt = s.sla.Due(f.Finding, level, f.FirstSeen, wdue)
			if f.KEV != was.KEV || !f.KEVDue.Equal(was.KEVDue) || f.Ransomware != was.Ransomware || f.Warning != was.Warning ||
				!f.DueAt.Equal(was.DueAt) {
				changed++
			}
		}
		return cur, nil
	})
	if err != nil {
		return 0, fmt.Errorf("reflag findings of asset %d: %w", a.ID, err)
	}
	return changed, nil
}

// Index returns the advisories compiled for matching, building it from
// the store the first time and after advisories change.
func (s *Service) Index(ctx context.Context) (*Index, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.index != nil {
		return s.index, nil
	}
	var advs []advisory.Advisory
	if err := s.store.EachAdvisory(ctx, func(d AdvisoryDoc) error {
		advs = append(advs, d.Advisory)
		return nil
	}); err != nil {
		return nil, err
	}
	s.index = NewIndex(advs)
	return s.index, nil
}

// Advisory formats ImportAdvisories reads.
const (
	FormatOSV    = "osv"     // one OSV JSON record
	FormatOSVZip = "osv-zip" // an ecosystem's all.zip of OSV records
	FormatNVD    = "nvd"     // an NVD CVE API 2.0 page
	FormatCSAF   = "csaf"    // a CSAF 2.0 document
	FormatKEV    = "kev"     // CISA's known_exploited_vulnerabilities.json
	FormatEPSS   = "epss"    // FIRST's daily EPSS scores (CSV, gzip or plain)
)

// ImportAdvisories imports an advisory file (vuln.write and a top-level
// unit: advisories are shared by every unit). The file is parsed whole
// first; a malformed one is an error and nothing is stored; then all its
// advisories are stored in one transaction, each replacing the stored one
// only if newer. A KEV file replaces the stored catalogue. It returns how
// many advisories were written.
func (s *Service) ImportAdvisories(ctx context.Context, p *authz.Principal, format string, data []byte) (int, error) {
	if err := p.AuthorizeGlobal(authz.PermVulnWrite); err != nil {
		return 0, err
	}
	var advs []advisory.Advisory
	bad := func(err error) (int, error) { return 0, errs.Invalid("file", "err.advisory_file", err.Error()) }
	switch format {
	case FormatOSV:
		a, err := advisory.ParseOSV(bytes.NewReader(data))
		if err != nil {
			return bad(err)
		}
		advs = []advisory.Advisory{a}
	case FormatOSVZip:
		if _, err := advisory.ReadOSVZip(bytes.NewReader(data), int64(len(data)), func(a advisory.Advisory) error {
			advs = append(advs, a)
			return nil
		}); err != nil {
			return bad(err)
		}
	case FormatNVD, FormatCSAF:
		parse := advisory.ParseNVD
		if format == FormatCSAF {
			parse = advisory.ParseCSAF
		}
		list, err := parse(bytes.NewReader(data))
		if err != nil {
			return bad(err)
		}
		advs = list
	case FormatKEV:
		version, _, list, err := advisory.ParseKEV(bytes.NewReader(data))
		if err != nil {
			return bad(err)
		}
		if err := s.StoreKEV(ctx, version, list); err != nil {
			return 0, err
		}
		return len(list), s.record(ctx, p, 0, "vuln.advisories", "kev:"+version, fmt.Sprintf("%d entries", len(list)))
	case FormatEPSS:
		model, date, list, err := advisory.ParseEPSS(bytes.NewReader(data))
		if err != nil {
			return bad(err)
		}
		if err := s.store.ReplaceEPSS(ctx, model, date, list); err != nil {
			return 0, err
		}
		return len(list), s.record(ctx, p, 0, "vuln.advisories", "epss:"+date.Format(time.DateOnly),
			fmt.Sprintf("%d scores, model %s", len(list), model))
	default:
		return 0, errs.Invalid("format", "err.invalid")
	}
	n, err := s.StoreAdvisories(ctx, advs)
	if err != nil {
		return 0, err
	}
	return n, s.record(ctx, p, 0, "vuln.advisories", format, fmt.Sprintf("%d read, %d written", len(advs), n))
}

// StoreAdvisories stores advisories all or nothing, each replacing the
// stored one only if newer, and returns how many were written; the
// matching index is rebuilt when any was. It checks no permission: it is
// for the scheduled feeds (ImportAdvisories is the users' way in).
func (s *Service) StoreAdvisories(ctx context.Context, advs []advisory.Advisory) (int, error) {
	docs := make([]AdvisoryDoc, len(advs))
	for i, a := range advs {
		docs[i] = AdvisoryDoc{Source: a.Source, ID: a.ID, Modified: a.Modified, Advisory: a}
	}
	n, err := s.store.PutAdvisories(ctx, docs)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.mu.Lock()
		s.index = nil
		s.mu.Unlock()
	}
	return n, nil
}

// StoreKEV replaces the KEV catalogue and brings the findings' flags and
// due dates up to date (Reflag). It checks no permission: it is for the
// scheduled feeds and ImportAdvisories.
func (s *Service) StoreKEV(ctx context.Context, catalogVersion string, list []advisory.KEV) error {
	if err := s.store.ReplaceKEV(ctx, catalogVersion, list); err != nil {
		return err
	}
	_, err := s.Reflag(ctx)
	return err
}

// StoreEPSS replaces the EPSS scores. It checks no permission: it is for
// the scheduled feeds.
func (s *Service) StoreEPSS(ctx context.Context, model string, scoreDate time.Time, list []advisory.EPSS) error {
	return s.store.ReplaceEPSS(ctx, model, scoreDate, list)
}

// DBStatus says what the advisory database holds: advisories per source,
// the KEV catalogue's size, the EPSS scores and the scheduled feeds.
type DBStatus struct {
	Advisories map[string]int `json:"advisories"`
	KEV        int            `json:"kev"`
	EPSS       EPSSInfo       `json:"epss"`
	Feeds      []FeedState    `json:"feeds"`
}

// DBStatus returns what the advisory database holds (vuln.read).
func (s *Service) DBStatus(ctx context.Context, p *authz.Principal) (DBStatus, error) {
	if err := p.Authorize(authz.PermVulnRead, 0); err != nil {
		return DBStatus{}, err
	}
	var (
		st  DBStatus
		err error
	)
	if st.Advisories, err = s.store.CountAdvisories(ctx); err != nil {
		return DBStatus{}, err
	}
	kev, err := s.store.ListKEV(ctx)
	if err != nil {
		return DBStatus{}, err
	}
	st.KEV = len(kev)
	if st.EPSS, err = s.store.EPSSInfo(ctx); err != nil {
		return DBStatus{}, err
	}
	if st.Feeds, err = s.store.ListVulnFeeds(ctx); err != nil {
		return DBStatus{}, err
	}
	return st, nil
}

// Findings lists the findings p may see (vuln.read) that f selects
// (f.Units narrows p's scope).
func (s *Service) Findings(ctx context.Context, p *authz.Principal, f FindingFilter) ([]StoredFinding, int, error) {
	if err := p.Authorize(authz.PermVulnRead, 0); err != nil {
		return nil, 0, err
	}
	if f.Units == nil {
		f.Units = p.ScopeList()
	} else {
		var in []int64
		for _, u := range f.Units {
			if p.InScope(u) {
				in = append(in, u)
			}
		}
		f.Units = in
	}
	if len(f.Units) == 0 {
		return nil, 0, nil
	}
	list, total, err := s.store.ListVulnFindings(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	return list, total, s.addEPSS(ctx, list)
}

// addEPSS sets the EPSS score of the findings whose vulnerability has one.
func (s *Service) addEPSS(ctx context.Context, list []StoredFinding) error {
	var cves []string
	for _, f := range list {
		if strings.HasPrefix(f.VulnID, "CVE-") {
			cves = append(cves, f.VulnID)
		}
	}
	if len(cves) == 0 {
		return nil
	}
	scores, err := s.store.EPSSScores(ctx, cves)
	if err != nil {
		return err
	}
	for i := range list {
		if e, ok := scores[list[i].VulnID]; ok {
			list[i].EPSS = &e
		}
	}
	return nil
}

// Maximum length of a risk acceptance's texts.
const maxAcceptText = 2000

// Accept accepts the risk of finding id until until (vuln.accept on its
// unit): the approver (name and title of who decided, as text) and the
// reason are required, the date must be in the future. The finding stays
// accepted until then, and opens again at the first import after it if it
// is still found.
func (s *Service) Accept(ctx context.Context, p *authz.Principal, id int64, approver, reason string, until time.Time) (StoredFinding, error) {
	approver, reason = strings.TrimSpace(approver), strings.TrimSpace(reason)
	switch {
	case approver == "" || utf8.RuneCountInString(approver) > 200:
		return StoredFinding{}, errs.Invalid("accepted_by", "err.required")
	case reason == "" || utf8.RuneCountInString(reason) > maxAcceptText:
		return StoredFinding{}, errs.Invalid("accept_reason", "err.required")
	case !until.After(s.now()):
		return StoredFinding{}, errs.Invalid("accept_until", "err.vuln_accept_until")
	}
	var unitID int64
	f, err := s.store.UpdateVulnFinding(ctx, id, func(f *StoredFinding) error {
		unitID = f.UnitID
		if err := p.Authorize(authz.PermVulnAccept, f.UnitID); err != nil {
			return err
		}
		if f.Status == Fixed {
			return errs.Public(errs.ErrConflict, "err.vuln_fixed")
		}
		f.Status, f.AcceptedBy, f.AcceptReason, f.AcceptUntil = Accepted, approver, reason, until.UTC()
		return nil
	})
	if err != nil {
		return StoredFinding{}, err
	}
	return f, s.record(ctx, p, unitID, "vuln.accept", "finding:"+strconv.FormatInt(id, 10),
		f.VulnID+" "+f.Package+" until "+until.Format(time.DateOnly)+": "+reason)
}
