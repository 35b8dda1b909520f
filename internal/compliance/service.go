package compliance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// Systems is what the service needs of the register.
type Systems interface {
	GetSystem(ctx context.Context, id int64) (system.System, error)
	ListSystems(ctx context.Context, f system.Filter) ([]system.System, error)
}

// Service manages requirement sets, evidence, probe results, the
// obligations calendar and assessment engagements, with authorisation and
// auditing.
type Service struct {
	store   Store
	systems Systems
	packs   *regulation.Registry
	pack    string
	probes  *Registry
	files   *FileStore
	audit   *audit.Log
	now     func() time.Time
	loc     *time.Location
	// intervals overrides the every_months of interval obligations.
	intervals map[string]int
	// reports, when set, enables reports to the authority.
	reports *ReportDeps
}

// Options configure a Service.
type Options struct {
	// DefaultPack is the pack of systems that name none.
	DefaultPack string
	// Intervals overrides obligation intervals in months, by obligation ID.
	Intervals map[string]int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Location is the calendar's time zone (Vietnam time when nil).
	Location *time.Location
}

// NewService returns a Service.
func NewService(store Store, systems Systems, packs *regulation.Registry, probes *Registry, files *FileStore,
	log *audit.Log, opts Options) (*Service, error) {
	p, ok := packs.Pack(opts.DefaultPack)
	if !ok {
		return nil, fmt.Errorf("regulation pack %q not loaded", opts.DefaultPack)
	}
	if _, err := WithIntervals(ObligationsFrom(p), opts.Intervals); err != nil {
		return nil, err
	}
	s := &Service{store: store, systems: systems, packs: packs, pack: opts.DefaultPack, probes: probes, files: files,
		audit: log, now: opts.Now, loc: opts.Location, intervals: opts.Intervals}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Probes returns the probe registry.
func (s *Service) Probes() *Registry { return s.probes }

// Files returns the evidence file store.
func (s *Service) Files() *FileStore { return s.files }

// Pack returns the regulation pack of a system.
func (s *Service) Pack(sys system.System) (*regulation.Pack, error) {
	id := sys.PackID
	if id == "" {
		id = s.pack
	}
	p, ok := s.packs.Pack(id)
	if !ok {
		return nil, errs.Invalid("pack_id", "err.pack_unknown", id)
	}
	return p, nil
}

// Obligations returns the calendar obligations of a system's pack with the
// configured intervals.
func (s *Service) Obligations(sys system.System) ([]Obligation, error) {
	p, err := s.Pack(sys)
	if err != nil {
		return nil, err
	}
	return WithIntervals(ObligationsFrom(p), s.intervals)
}

// Basis returns the level a system's requirement set is derived from: the
// approved level, else the proposed one (provisional is then true).
func Basis(sys system.System) (level int, provisional bool) {
	if sys.ApprovedLevel > 0 {
		return sys.ApprovedLevel, false
	}
	return sys.ProposedLevel, sys.ProposedLevel > 0
}

func (s *Service) record(ctx context.Context, p *authz.Principal, action string, unitID int64, target, detail string) {
	if s.audit == nil {
		return
	}
	_ = s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: unitID,
		Action: action, Target: target, Detail: detail})
}

// system returns a system p may read, and with write, may assess.
func (s *Service) system(ctx context.Context, p *authz.Principal, id int64, perm authz.Permission) (system.System, error) {
	sys, err := s.systems.GetSystem(ctx, id)
	if err != nil {
		return system.System{}, err
	}
	if err := p.Authorize(authz.PermSystemRead, sys.UnitID); err != nil {
		return system.System{}, err
	}
	if perm != "" && perm != authz.PermSystemRead {
		if err := p.Authorize(perm, sys.UnitID); err != nil {
			return system.System{}, err
		}
	}
	return sys, nil
}

// basisKey says what a requirement set is derived from: the pack and its
// version, the level and whether it is provisional.
func basisKey(pack *regulation.Pack, sys system.System) string {
	level, provisional := Basis(sys)
	return fmt.Sprintf("%s@%s:%d:%t", pack.ID(), pack.Version(), level, provisional)
}

// topGroup returns the top-level group of a requirement ("" if unknown).
func topGroup(pack *regulation.Pack, r regulation.Requirement) string {
	g, ok := pack.RequirementGroup(r.Group)
	if !ok {
		return ""
	}
	if g.Parent != "" {
		return g.Parent
	}
	return g.ID
}

// Sync brings the requirement set of sys in line with its level: items are
// added for requirements the level needs, retired for those it no longer
// needs, and restored (with their history) when it needs them again. It
// writes only when something changes, records what the set now follows,
// and returns the items.
func (s *Service) Sync(ctx context.Context, sys system.System) ([]Item, error) {
	return s.sync(ctx, sys, false)
}

// sync is Sync; with record it writes the sync basis even when no item
// changed (lists call it for sets whose recorded basis is out of date).
func (s *Service) sync(ctx context.Context, sys system.System, record bool) ([]Item, error) {
	pack, err := s.Pack(sys)
	if err != nil {
		return nil, err
	}
	items, err := s.store.ListItems(ctx, sys.ID)
	if err != nil {
		return nil, err
	}
	level, provisional := Basis(sys)
	all := pack.Requirements()
	byID := make(map[string]regulation.Requirement, len(all))
	need := map[string]bool{}
	for _, r := range all {
		byID[r.ID] = r
		if level > 0 && r.AppliesTo(level) {
			need[r.ID] = true
		}
	}
	basis := fmt.Sprintf("level %d", level)
	if provisional {
		basis += " (proposed, not approved)"
	}
	now := s.now().UTC()
	var changes []ItemChange
	have := map[string]bool{}
	for i := range items {
		it := &items[i]
		have[it.RequirementID] = true
		group := it.GroupID
		if r, ok := byID[it.RequirementID]; ok {
			group = topGroup(pack, r)
		}
		switch {
		case need[it.RequirementID] && it.Retired:
			it.Retired, it.GroupID, it.UpdatedAt, it.UpdatedBy = false, group, now, "khien"
			changes = append(changes, ItemChange{Item: it, Event: ItemEvent{At: now, Actor: "khien", Action: EventRestored,
				Detail: "required again at " + basis}})
		case !need[it.RequirementID] && !it.Retired:
			it.Retired, it.GroupID, it.UpdatedAt, it.UpdatedBy = true, group, now, "khien"
			changes = append(changes, ItemChange{Item: it, Event: ItemEvent{At: now, Actor: "khien", Action: EventRetired,
				Detail: "not required at " + basis}})
		case group != it.GroupID:
			it.GroupID = group
			changes = append(changes, ItemChange{Item: it})
		}
	}
	var added []Item
	if level > 0 {
		for _, r := range all {
			if need[r.ID] && !have[r.ID] {
				added = append(added, Item{SystemID: sys.ID, RequirementID: r.ID, GroupID: topGroup(pack, r), Status: ItemOpen,
					StatusSource: SourceManual, CreatedAt: now, UpdatedAt: now, UpdatedBy: "khien"})
			}
		}
	}
	for i := range added {
		changes = append(changes, ItemChange{Item: &added[i], Event: ItemEvent{At: now, Actor: "khien",
			Action: EventAdded, Detail: "required at " + basis}})
	}
	if len(changes) > 0 {
		if err := s.store.SaveItems(ctx, changes); err != nil {
			return nil, err
		}
		if items, err = s.store.ListItems(ctx, sys.ID); err != nil {
			return nil, err
		}
	}
	if len(changes) > 0 || record {
		if err := s.store.SetSyncBasis(ctx, sys.ID, basisKey(pack, sys)); err != nil {
			return nil, err
		}
	}
	return items, nil
}

// syncStale syncs the requirement sets of the systems whose level (or
// pack) changed since they were last synced.
func (s *Service) syncStale(ctx context.Context, systems []system.System) error {
	bases, err := s.store.SyncBases(ctx)
	if err != nil {
		return err
	}
	for _, sys := range systems {
		pack, err := s.Pack(sys)
		if err != nil {
			return err
		}
		level, _ := Basis(sys)
		if level == 0 && bases[sys.ID] == "" {
			continue
		}
		if bases[sys.ID] != basisKey(pack, sys) {
			if _, err := s.sync(ctx, sys, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// ItemView is an item with its requirement, evidence and probe result.
type ItemView struct {
	Item        Item
	Requirement regulation.Requirement
	Group       regulation.RequirementGroup
	// TopGroup is the top-level group (management, technical, …).
	TopGroup regulation.RequirementGroup
	Evidence []Evidence
	Probes   []ProbeView
	// Stale is true when the status was set by a probe whose result is
	// now too old: the item needs fresh evidence.
	Stale bool
}

// ProbeView is a stored probe result with its freshness at view time.
type ProbeView struct {
	Record    ProbeRecord
	Stale     bool
	Effective Status
}

// SetView is a system's requirement set.
type SetView struct {
	System      system.System
	Pack        *regulation.Pack
	Level       int
	Provisional bool
	Items       []ItemView // current items, in pack order
	Retired     []ItemView
	Summary     Summary
	Groups      []GroupSummary
}

// Summary counts items by status.
type Summary struct {
	Total, Open, Met, Partial, NotMet, NotApplicable, Stale int
}

// AddItem counts one item.
func (sm *Summary) AddItem(iv ItemView) {
	sm.Total++
	switch iv.Item.Status {
	case ItemOpen:
		sm.Open++
	case ItemMet:
		sm.Met++
	case ItemPartial:
		sm.Partial++
	case ItemNotMet:
		sm.NotMet++
	case ItemNotApplicable:
		sm.NotApplicable++
	}
	if iv.Stale {
		sm.Stale++
	}
}

// Add adds the counts of another summary.
func (sm *Summary) Add(o Summary) {
	sm.Total += o.Total
	sm.Open += o.Open
	sm.Met += o.Met
	sm.Partial += o.Partial
	sm.NotMet += o.NotMet
	sm.NotApplicable += o.NotApplicable
	sm.Stale += o.Stale
}

// Percent is the share of applicable items that are met, 0–100.
func (sm Summary) Percent() int {
	n := sm.Total - sm.NotApplicable
	if n <= 0 {
		return 0
	}
	return sm.Met * 100 / n
}

// GroupSummary is the summary of one top-level requirement group.
type GroupSummary struct {
	Group regulation.RequirementGroup
	Summary
}

// Set returns the requirement set of a system p may read, synchronised
// with its level first.
func (s *Service) Set(ctx context.Context, p *authz.Principal, systemID int64) (SetView, error) {
	sys, err := s.system(ctx, p, systemID, authz.PermSystemRead)
	if err != nil {
		return SetView{}, err
	}
	return s.set(ctx, sys)
}

func (s *Service) set(ctx context.Context, sys system.System) (SetView, error) {
	items, err := s.Sync(ctx, sys)
	if err != nil {
		return SetView{}, err
	}
	pack, err := s.Pack(sys)
	if err != nil {
		return SetView{}, err
	}
	evidence, err := s.store.ListEvidence(ctx, sys.ID)
	if err != nil {
		return SetView{}, err
	}
	records, err := s.store.ListProbeRecords(ctx, sys.ID)
	if err != nil {
		return SetView{}, err
	}
	now := s.now()
	v := SetView{System: sys, Pack: pack}
	v.Level, v.Provisional = Basis(sys)
	byItem := map[int64][]Evidence{}
	for _, e := range evidence {
		byItem[e.ItemID] = append(byItem[e.ItemID], e)
	}
	byReq := map[string][]ProbeView{}
	byProbe := map[string]ProbeView{}
	for _, r := range records {
		pv := ProbeView{Record: r, Stale: Stale(r.Result(), r.Freshness, now), Effective: Effective(r.Result(), r.Freshness, now)}
		byProbe[r.ProbeID] = pv
		for _, req := range r.Requirements {
			byReq[req] = append(byReq[req], pv)
		}
	}
	order := map[string]int{}
	byID := map[string]regulation.Requirement{}
	for i, r := range pack.Requirements() {
		order[r.ID] = i
		byID[r.ID] = r
	}
	groups := map[string]*GroupSummary{}
	var groupOrder []string
	for _, it := range items {
		iv := ItemView{Item: it, Evidence: byItem[it.ID], Probes: byReq[it.RequirementID]}
		if r, ok := byID[it.RequirementID]; ok {
			iv.Requirement = r
			iv.Group, _ = pack.RequirementGroup(r.Group)
			iv.TopGroup = iv.Group
			if iv.Group.Parent != "" {
				iv.TopGroup, _ = pack.RequirementGroup(iv.Group.Parent)
			}
		} else {
			iv.Requirement = regulation.Requirement{ID: it.RequirementID,
				Title: regulation.Text{VI: it.RequirementID, EN: it.RequirementID}}
		}
		if it.StatusSource == SourceProbe {
			pv, ok := byProbe[it.ProbeID]
			iv.Stale = !ok || pv.Stale
		}
		if it.Retired {
			v.Retired = append(v.Retired, iv)
			continue
		}
		v.Items = append(v.Items, iv)
	}
	slices.SortStableFunc(v.Items, func(a, b ItemView) int {
		return order[a.Item.RequirementID] - order[b.Item.RequirementID]
	})
	for _, iv := range v.Items {
		v.Summary.AddItem(iv)
		gid := iv.TopGroup.ID
		g := groups[gid]
		if g == nil {
			g = &GroupSummary{Group: iv.TopGroup}
			groups[gid] = g
			groupOrder = append(groupOrder, gid)
		}
		g.AddItem(iv)
	}
	for _, gid := range groupOrder {
		v.Groups = append(v.Groups, *groups[gid])
	}
	return v, nil
}

// ItemUpdate is what a person may change on an item.
type ItemUpdate struct {
	Status        ItemStatus
	Justification string
	Owner         string
	Due           time.Time
	Notes         string
}

// item returns an item with its system, checking p's permission.
func (s *Service) item(ctx context.Context, p *authz.Principal, itemID int64, perm authz.Permission) (Item, system.System, error) {
	it, err := s.store.GetItem(ctx, itemID)
	if err != nil {
		return Item{}, system.System{}, err
	}
	sys, err := s.system(ctx, p, it.SystemID, perm)
	if err != nil {
		return Item{}, system.System{}, err
	}
	return it, sys, nil
}

// UpdateItem records an assessment of an item by p.
func (s *Service) UpdateItem(ctx context.Context, p *authz.Principal, itemID int64, u ItemUpdate) (Item, error) {
	it, sys, err := s.item(ctx, p, itemID, authz.PermComplianceWrite)
	if err != nil {
		return Item{}, err
	}
	u.Justification, u.Owner, u.Notes = strings.TrimSpace(u.Justification), strings.TrimSpace(u.Owner), strings.TrimSpace(u.Notes)
	switch {
	case !u.Status.Valid():
		return Item{}, errs.Invalid("status", "err.item_status")
	case u.Status == ItemNotApplicable && u.Justification == "":
		return Item{}, errs.Invalid("justification", "err.item_justification")
	case utf8.RuneCountInString(u.Justification) > 4000 || utf8.RuneCountInString(u.Notes) > 8000 ||
		utf8.RuneCountInString(u.Owner) > 200:
		return Item{}, errs.Invalid("notes", "err.too_long")
	case it.Retired:
		return Item{}, errs.Public(errs.ErrConflict, "err.item_retired")
	}
	var changed []string
	note := func(field, from, to string) {
		if from != to {
			changed = append(changed, fmt.Sprintf("%s: %s → %s", field, orNone(from), orNone(to)))
		}
	}
	note("status", string(it.Status), string(u.Status))
	note("justification", it.Justification, u.Justification)
	note("owner", it.Owner, u.Owner)
	note("due", dateOf(it.Due), dateOf(u.Due))
	note("notes", it.Notes, u.Notes)
	if len(changed) == 0 {
		return it, nil
	}
	if it.Status != u.Status {
		it.StatusSource, it.ProbeID = SourceManual, ""
	}
	it.Status, it.Justification, it.Owner, it.Due, it.Notes = u.Status, u.Justification, u.Owner, u.Due, u.Notes
	it.UpdatedAt, it.UpdatedBy = s.now().UTC(), p.Username
	detail := strings.Join(changed, "; ")
	if err := s.store.SaveItems(ctx, []ItemChange{{Item: &it, Event: ItemEvent{At: it.UpdatedAt, ActorID: p.UserID,
		Actor: p.Username, Action: EventUpdated, Detail: detail}}}); err != nil {
		return Item{}, err
	}
	s.record(ctx, p, "compliance.item_update", sys.UnitID, itemTarget(it.ID), it.RequirementID+": "+detail)
	return it, nil
}

func orNone(s string) string {
	if s == "" {
		return "–"
	}
	if utf8.RuneCountInString(s) > 60 {
		r := []rune(s)
		return string(r[:60]) + "…"
	}
	return s
}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func itemTarget(id int64) string { return "requirement_item:" + strconv.FormatInt(id, 10) }

// History returns the history of an item p may read, oldest first.
func (s *Service) History(ctx context.Context, p *authz.Principal, itemID int64) ([]ItemEvent, error) {
	if _, _, err := s.item(ctx, p, itemID, authz.PermSystemRead); err != nil {
		return nil, err
	}
	return s.store.ListItemEvents(ctx, itemID)
}

// AddFile stores an evidence file for an item.
func (s *Service) AddFile(ctx context.Context, p *authz.Principal, itemID int64, name, description string, r io.Reader) (Evidence, error) {
	it, sys, err := s.item(ctx, p, itemID, authz.PermComplianceWrite)
	if err != nil {
		return Evidence{}, err
	}
	name = cleanName(name)
	if name == "" {
		return Evidence{}, errs.Invalid("file", "err.evidence_name")
	}
	st, err := s.files.Put(r)
	if errors.Is(err, ErrTooLarge) {
		return Evidence{}, errs.Invalid("file", "err.evidence_too_large", s.files.Max()>>20)
	}
	if err != nil {
		if errors.Is(err, errs.ErrInvalid) {
			return Evidence{}, errs.Invalid("file", "err.evidence_empty")
		}
		return Evidence{}, err
	}
	e := Evidence{SystemID: sys.ID, ItemID: it.ID, Kind: EvidenceFile, Name: name, Description: strings.TrimSpace(description),
		SHA256: st.SHA256, Size: st.Size, ContentType: st.ContentType, CreatedAt: s.now().UTC(), CreatedByID: p.UserID,
		CreatedBy: p.Username}
	return e, s.attach(ctx, p, sys, it, &e)
}

// AddLink records a link (to a document system, a wiki page…) as evidence.
func (s *Service) AddLink(ctx context.Context, p *authz.Principal, itemID int64, name, link, description string) (Evidence, error) {
	it, sys, err := s.item(ctx, p, itemID, authz.PermComplianceWrite)
	if err != nil {
		return Evidence{}, err
	}
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(link) > 2000 {
		return Evidence{}, errs.Invalid("url", "err.evidence_url")
	}
	name = cleanName(name)
	if name == "" {
		name = u.Host
	}
	e := Evidence{SystemID: sys.ID, ItemID: it.ID, Kind: EvidenceLink, Name: name, URL: u.String(),
		Description: strings.TrimSpace(description), CreatedAt: s.now().UTC(), CreatedByID: p.UserID, CreatedBy: p.Username}
	return e, s.attach(ctx, p, sys, it, &e)
}

func (s *Service) attach(ctx context.Context, p *authz.Principal, sys system.System, it Item, e *Evidence) error {
	if err := s.store.CreateEvidence(ctx, e); err != nil {
		return err
	}
	detail := e.Name
	if e.SHA256 != "" {
		detail += " sha256=" + e.SHA256
	}
	it.UpdatedAt, it.UpdatedBy = e.CreatedAt, p.Username
	if err := s.store.SaveItems(ctx, []ItemChange{{Item: &it, Event: ItemEvent{At: e.CreatedAt, ActorID: p.UserID,
		Actor: p.Username, Action: EventEvidenceAdded, Detail: detail}}}); err != nil {
		return err
	}
	s.record(ctx, p, "compliance.evidence_add", sys.UnitID, itemTarget(it.ID), detail)
	return nil
}

// cleanName keeps the base name of an uploaded file, without control
// characters or path separators, at most 200 characters.
func cleanName(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	return name
}

// Evidence returns an evidence record p may read.
func (s *Service) Evidence(ctx context.Context, p *authz.Principal, id int64) (Evidence, error) {
	e, err := s.store.GetEvidence(ctx, id)
	if err != nil {
		return Evidence{}, err
	}
	if _, err := s.system(ctx, p, e.SystemID, authz.PermSystemRead); err != nil {
		return Evidence{}, err
	}
	return e, nil
}

// OpenFile returns an evidence file p may read, after verifying its hash
// (ErrCorrupt when it does not match). The caller closes the reader.
func (s *Service) OpenFile(ctx context.Context, p *authz.Principal, id int64) (Evidence, io.ReadSeekCloser, error) {
	e, err := s.Evidence(ctx, p, id)
	if err != nil {
		return Evidence{}, nil, err
	}
	if e.Kind != EvidenceFile {
		return Evidence{}, nil, errs.NotFound("evidence file", id)
	}
	f, err := s.files.Open(e.SHA256)
	if err != nil {
		return Evidence{}, nil, err
	}
	return e, f, nil
}

// DeleteEvidence removes an evidence record, and its file when no other
// record uses it; the item's history keeps the fact.
func (s *Service) DeleteEvidence(ctx context.Context, p *authz.Principal, id int64) error {
	e, err := s.store.GetEvidence(ctx, id)
	if err != nil {
		return err
	}
	it, sys, err := s.item(ctx, p, e.ItemID, authz.PermComplianceWrite)
	if err != nil {
		return err
	}
	if err := s.store.DeleteEvidence(ctx, id); err != nil {
		return err
	}
	if e.SHA256 != "" {
		if n, err := s.store.EvidenceRefs(ctx, e.SHA256); err == nil && n == 0 {
			_ = s.files.Remove(e.SHA256)
		}
	}
	now := s.now().UTC()
	it.UpdatedAt, it.UpdatedBy = now, p.Username
	detail := e.Name
	if e.SHA256 != "" {
		detail += " sha256=" + e.SHA256
	}
	if err := s.store.SaveItems(ctx, []ItemChange{{Item: &it, Event: ItemEvent{At: now, ActorID: p.UserID,
		Actor: p.Username, Action: EventEvidenceRemoved, Detail: detail}}}); err != nil {
		return err
	}
	s.record(ctx, p, "compliance.evidence_delete", sys.UnitID, itemTarget(it.ID), detail)
	return nil
}

// RunProbes evaluates every probe for a system, stores the results and
// lets conclusive results set the status of the items they give evidence
// for, unless a person has assessed the item (a manual status is never
// overwritten; the probe result is shown beside it). It returns the
// outcomes.
func (s *Service) RunProbes(ctx context.Context, sys system.System) ([]Outcome, error) {
	items, err := s.Sync(ctx, sys)
	if err != nil {
		return nil, err
	}
	level, _ := Basis(sys)
	outs := s.probes.Run(ctx, Subject{SystemID: sys.ID, UnitID: sys.UnitID, Level: level}, s.now)
	byReq := map[string]*Item{}
	for i := range items {
		if !items[i].Retired {
			byReq[items[i].RequirementID] = &items[i]
		}
	}
	var changes []ItemChange
	for _, o := range outs {
		if errors.Is(o.Err, context.Canceled) || errors.Is(o.Err, context.DeadlineExceeded) {
			return outs, o.Err
		}
		probe := s.probeByID(o.ProbeID)
		if probe == nil {
			continue
		}
		rec := ProbeRecord{SystemID: sys.ID, ProbeID: o.ProbeID, Requirements: slices.Clone(probe.Requirements()),
			Status: o.Result.Status, At: o.Result.At, Freshness: probe.Freshness(), Proof: o.Result.Proof,
			ProofVI: o.Result.ProofVI, Facts: o.Result.Facts}
		if o.Err != nil {
			rec.Error = o.Err.Error()
		}
		if err := s.store.SaveProbeRecord(ctx, rec); err != nil {
			return outs, err
		}
		if o.Err != nil || o.Result.Status == StatusUnknown {
			continue
		}
		to := ItemMet
		if o.Result.Status == StatusNotMet {
			to = ItemNotMet
		}
		for _, req := range rec.Requirements {
			it := byReq[req]
			if it == nil {
				continue
			}
			byProbe := it.StatusSource == SourceProbe
			if !(it.Status == ItemOpen || (byProbe && it.ProbeID == o.ProbeID)) || (byProbe && it.Status == to) {
				continue
			}
			from := it.Status
			it.Status, it.StatusSource, it.ProbeID = to, SourceProbe, o.ProbeID
			it.UpdatedAt, it.UpdatedBy = rec.At.UTC(), "probe:"+o.ProbeID
			changes = append(changes, ItemChange{Item: it, Event: ItemEvent{At: rec.At, Actor: "probe:" + o.ProbeID,
				Action: EventProbe, Detail: fmt.Sprintf("status: %s → %s; %s", from, to, rec.Proof)}})
		}
	}
	if len(changes) > 0 {
		if err := s.store.SaveItems(ctx, changes); err != nil {
			return outs, err
		}
	}
	return outs, nil
}

func (s *Service) probeByID(id string) Probe {
	for _, p := range s.probes.Probes() {
		if p.ID() == id {
			return p
		}
	}
	return nil
}

// RunProbesFor runs the probes of a system p may assess.
func (s *Service) RunProbesFor(ctx context.Context, p *authz.Principal, systemID int64) ([]Outcome, error) {
	sys, err := s.system(ctx, p, systemID, authz.PermComplianceWrite)
	if err != nil {
		return nil, err
	}
	outs, err := s.RunProbes(ctx, sys)
	if err == nil {
		s.record(ctx, p, "compliance.probes_run", sys.UnitID, "system:"+strconv.FormatInt(sys.ID, 10),
			fmt.Sprintf("%d probes", len(outs)))
	}
	return outs, err
}

// ActiveSystems lists the systems with a level (approved or proposed) that
// are not retired, for jobs that go over every system.
func (s *Service) ActiveSystems(ctx context.Context) ([]system.System, error) {
	all, err := s.systems.ListSystems(ctx, system.Filter{})
	if err != nil {
		return nil, err
	}
	var out []system.System
	for _, sys := range all {
		if level, _ := Basis(sys); level > 0 && sys.Status != system.Retired {
			out = append(out, sys)
		}
	}
	return out, nil
}

// Calendar returns the obligations of a system with their next due dates.
func (s *Service) Calendar(ctx context.Context, p *authz.Principal, systemID int64) ([]Scheduled, []Completion, error) {
	sys, err := s.system(ctx, p, systemID, authz.PermSystemRead)
	if err != nil {
		return nil, nil, err
	}
	return s.calendar(ctx, sys)
}

func (s *Service) calendar(ctx context.Context, sys system.System) ([]Scheduled, []Completion, error) {
	obs, err := s.Obligations(sys)
	if err != nil {
		return nil, nil, err
	}
	done, err := s.store.ListCompletions(ctx, sys.ID)
	if err != nil {
		return nil, nil, err
	}
	last := map[string]time.Time{}
	for _, c := range done { // newest first
		if _, ok := last[c.ObligationID]; !ok {
			last[c.ObligationID] = c.DoneAt
		}
	}
	level, _ := Basis(sys)
	return Upcoming(obs, level, last, s.now(), s.loc), done, nil
}

// RecordCompletion records that an obligation of a system was done at doneAt.
func (s *Service) RecordCompletion(ctx context.Context, p *authz.Principal, systemID int64, obligationID string,
	doneAt time.Time, note string) (Completion, error) {
	sys, err := s.system(ctx, p, systemID, authz.PermComplianceWrite)
	if err != nil {
		return Completion{}, err
	}
	obs, err := s.Obligations(sys)
	if err != nil {
		return Completion{}, err
	}
	level, _ := Basis(sys)
	i := slices.IndexFunc(obs, func(o Obligation) bool { return o.ID == obligationID })
	switch {
	case i < 0 || !obs[i].AppliesTo(level):
		return Completion{}, errs.Invalid("obligation", "err.obligation_unknown")
	case doneAt.IsZero() || doneAt.After(s.now().Add(24*time.Hour)):
		return Completion{}, errs.Invalid("done_at", "err.obligation_date")
	case utf8.RuneCountInString(note) > 4000:
		return Completion{}, errs.Invalid("note", "err.too_long")
	}
	c := Completion{SystemID: sys.ID, ObligationID: obligationID, DoneAt: doneAt, Note: strings.TrimSpace(note),
		RecordedByID: p.UserID, RecordedBy: p.Username, CreatedAt: s.now().UTC()}
	if err := s.store.CreateCompletion(ctx, &c); err != nil {
		return Completion{}, err
	}
	s.record(ctx, p, "compliance.obligation_done", sys.UnitID, "system:"+strconv.FormatInt(sys.ID, 10),
		obligationID+" "+dateOf(doneAt))
	return c, nil
}

// SystemStatus is one row of the compliance dashboard.
type SystemStatus struct {
	System      system.System
	Level       int
	Provisional bool
	Summary     Summary
	Groups      []GroupSummary
	Overdue     []Scheduled
	DueSoon     []Scheduled
}

// DueSoonDays is how far ahead the dashboard and reminders look.
const DueSoonDays = 30

// Dashboard returns the compliance status of every system p may read
// that has a level, optionally only those of one unit.
func (s *Service) Dashboard(ctx context.Context, p *authz.Principal, unitID int64) ([]SystemStatus, error) {
	if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
		return nil, err
	}
	f := system.Filter{}
	if !p.All {
		f.Units = p.ScopeList()
	}
	if unitID != 0 {
		if err := p.Authorize(authz.PermSystemRead, unitID); err != nil {
			return nil, err
		}
		f.Units = []int64{unitID}
	}
	list, err := s.systems.ListSystems(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.Statuses(ctx, list)
}

// Statuses returns the compliance status of each of systems that has a
// level and is not retired, without authorisation (callers list only the
// systems their user may read). It reads the summaries of every system in
// a few queries, syncing first the sets whose level changed.
func (s *Service) Statuses(ctx context.Context, systems []system.System) ([]SystemStatus, error) {
	var (
		active []system.System
		ids    []int64
	)
	for _, sys := range systems {
		if level, _ := Basis(sys); level > 0 && sys.Status != system.Retired {
			active = append(active, sys)
			ids = append(ids, sys.ID)
		}
	}
	if len(active) == 0 {
		return nil, nil
	}
	if err := s.syncStale(ctx, active); err != nil {
		return nil, err
	}
	now := s.now()
	counts, err := s.store.SummarizeItems(ctx, ids, now)
	if err != nil {
		return nil, err
	}
	latest, err := s.store.LatestCompletions(ctx, ids)
	if err != nil {
		return nil, err
	}
	bySys := map[int64][]ItemCount{}
	for _, c := range counts {
		bySys[c.SystemID] = append(bySys[c.SystemID], c)
	}
	last := map[int64]map[string]time.Time{}
	for _, c := range latest {
		if last[c.SystemID] == nil {
			last[c.SystemID] = map[string]time.Time{}
		}
		last[c.SystemID][c.ObligationID] = c.DoneAt
	}
	out := make([]SystemStatus, 0, len(active))
	type packData struct {
		pack   *regulation.Pack
		obs    []Obligation
		groups []regulation.RequirementGroup
	}
	packs := map[string]packData{}
	for _, sys := range active {
		pd, ok := packs[sys.PackID]
		if !ok {
			pack, err := s.Pack(sys)
			if err != nil {
				return nil, err
			}
			obs, err := s.Obligations(sys)
			if err != nil {
				return nil, err
			}
			pd = packData{pack: pack, obs: obs, groups: pack.RequirementGroups()}
			packs[sys.PackID] = pd
		}
		pack, obs := pd.pack, pd.obs
		st := SystemStatus{System: sys}
		st.Level, st.Provisional = Basis(sys)
		groups := map[string]*GroupSummary{}
		for _, c := range bySys[sys.ID] {
			g := groups[c.GroupID]
			if g == nil {
				rg, _ := pack.RequirementGroup(c.GroupID)
				if rg.ID == "" {
					rg = regulation.RequirementGroup{ID: c.GroupID, Name: regulation.Text{VI: c.GroupID, EN: c.GroupID}}
				}
				g = &GroupSummary{Group: rg}
				groups[c.GroupID] = g
			}
			g.addCount(c)
			st.Summary.addCount(c)
		}
		for _, rg := range pd.groups {
			if g := groups[rg.ID]; g != nil {
				st.Groups = append(st.Groups, *g)
				delete(groups, rg.ID)
			}
		}
		for _, g := range groups { // groups the pack no longer has
			st.Groups = append(st.Groups, *g)
		}
		for _, sc := range Upcoming(obs, st.Level, last[sys.ID], now, s.loc) {
			switch {
			case sc.Due.Overdue:
				st.Overdue = append(st.Overdue, sc)
			case sc.Due.DaysLeft <= DueSoonDays:
				st.DueSoon = append(st.DueSoon, sc)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// addCount adds a row of SummarizeItems.
func (sm *Summary) addCount(c ItemCount) {
	sm.Total += c.Count
	sm.Stale += c.Stale
	switch c.Status {
	case ItemOpen:
		sm.Open += c.Count
	case ItemMet:
		sm.Met += c.Count
	case ItemPartial:
		sm.Partial += c.Count
	case ItemNotMet:
		sm.NotMet += c.Count
	case ItemNotApplicable:
		sm.NotApplicable += c.Count
	}
}

// SetFor returns the requirement set of a system without authorisation,
// for background jobs (reports) that have checked it already.
func (s *Service) SetFor(ctx context.Context, sys system.System) (SetView, error) {
	return s.set(ctx, sys)
}

// StatusFor is Dashboard's row for one system, without authorisation; ok
// is false when the system has no level or is retired.
func (s *Service) StatusFor(ctx context.Context, sys system.System) (st SystemStatus, ok bool, err error) {
	list, err := s.Statuses(ctx, []system.System{sys})
	if err != nil || len(list) == 0 {
		return SystemStatus{}, false, err
	}
	return list[0], true, nil
}
