package intel

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
)

// Formats of Service.Import.
const (
	FormatAuto = "auto"
	FormatSTIX = "stix"
	FormatMISP = "misp"
	FormatCSV  = "csv"
)

// Service imports, lists and removes indicators with authorisation and
// auditing, and keeps the matcher of the active ones for live matching.
type Service struct {
	store Store
	audit *audit.Log
	now   func() time.Time

	mu      sync.Mutex
	matcher *Matcher
	built   time.Time
}

// NewService returns a Service over store; log may be nil (tests).
func NewService(store Store, log *audit.Log) *Service {
	return &Service{store: store, audit: log, now: time.Now}
}

// ImportResult says what an import did.
type ImportResult struct {
	Format   string `json:"format"`
	Inserted int    `json:"inserted"`
	Updated  int    `json:"updated"`
	Skipped  []Skip `json:"skipped,omitempty"`
}

// Import reads indicators in format (FormatAuto guesses it from the
// content) into unit o.UnitID (permission hunt.write there) and stores
// them, merging repeated imports.
func (s *Service) Import(ctx context.Context, p *authz.Principal, format string, r io.Reader, o ImportOptions) (ImportResult, error) {
	if err := p.Authorize(authz.PermHuntWrite, o.UnitID); err != nil {
		return ImportResult{}, err
	}
	if o.UnitID <= 0 {
		return ImportResult{}, errs.Invalid("unit_id", "err.unit_required")
	}
	br := bufio.NewReader(r)
	if format == "" || format == FormatAuto {
		format = sniff(br)
	}
	var (
		b   Batch
		err error
	)
	switch format {
	case FormatSTIX:
		b, err = ParseSTIXBundle(br, o)
	case FormatMISP:
		b, err = ParseMISPEvent(br, o)
	case FormatCSV:
		b, err = ParseCSV(br, o)
	default:
		return ImportResult{}, errs.Invalid("format", "err.invalid")
	}
	if err != nil {
		return ImportResult{}, errs.Invalid("file", "err.intel_file", err.Error())
	}
	res := ImportResult{Format: format, Skipped: b.Skipped}
	if len(b.Indicators) > 0 {
		if res.Inserted, res.Updated, err = s.store.UpsertIndicators(ctx, b.Indicators); err != nil {
			return ImportResult{}, err
		}
	}
	s.invalidate()
	if s.audit != nil {
		err = s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: o.UnitID, Action: "intel.import",
			Target: "unit:" + strconv.FormatInt(o.UnitID, 10),
			Detail: fmt.Sprintf("%s from %q: %d new, %d updated, %d skipped", format, o.Source, res.Inserted, res.Updated, len(res.Skipped))})
	}
	return res, err
}

// sniff guesses the format of a document from its first bytes.
func sniff(br *bufio.Reader) string {
	head, _ := br.Peek(4096)
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(head) == 0 || (head[0] != '{' && head[0] != '[') {
		return FormatCSV
	}
	if bytes.Contains(head, []byte(`"Event"`)) || bytes.Contains(head, []byte(`"response"`)) || bytes.Contains(head, []byte(`"Attribute"`)) {
		return FormatMISP
	}
	return FormatSTIX
}

// List returns the indicators of p's units f selects.
func (s *Service) List(ctx context.Context, p *authz.Principal, f Filter) ([]Indicator, error) {
	if err := p.Authorize(authz.PermEventRead, 0); err != nil {
		return nil, err
	}
	if !p.All {
		f.Units = p.ScopeList()
	}
	return s.store.ListIndicators(ctx, f)
}

// Count counts the indicators of p's units f selects.
func (s *Service) Count(ctx context.Context, p *authz.Principal, f Filter) (int, error) {
	if err := p.Authorize(authz.PermEventRead, 0); err != nil {
		return 0, err
	}
	if !p.All {
		f.Units = p.ScopeList()
	}
	return s.store.CountIndicators(ctx, f)
}

// Delete removes an indicator (hunt.write on its unit).
func (s *Service) Delete(ctx context.Context, p *authz.Principal, id int64) error {
	ind, err := s.store.GetIndicator(ctx, id)
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermHuntWrite, ind.UnitID); err != nil {
		return err
	}
	if err := s.store.DeleteIndicator(ctx, id); err != nil {
		return err
	}
	s.invalidate()
	if s.audit == nil {
		return nil
	}
	return s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: ind.UnitID, Action: "intel.delete",
		Target: "indicator:" + strconv.FormatInt(id, 10), Detail: string(ind.Type) + " " + ind.Value})
}

func (s *Service) invalidate() {
	s.mu.Lock()
	s.built = time.Time{}
	s.mu.Unlock()
}

// MatcherMaxAge is how long Active reuses its matcher.
const MatcherMaxAge = time.Minute

// Active returns the matcher of every indicator active now, rebuilt when
// older than MatcherMaxAge or after an import or deletion.
func (s *Service) Active(ctx context.Context) (*Matcher, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.matcher != nil && !s.built.IsZero() && now.Sub(s.built) < MatcherMaxAge {
		return s.matcher, nil
	}
	list, err := s.store.ListIndicators(ctx, Filter{ActiveAt: now})
	if err != nil {
		return s.matcher, err
	}
	s.matcher, s.built = NewMatcher(list), now
	return s.matcher, nil
}

// ActiveFor returns the matcher of the indicators active now that apply
// to unit — its own and its ancestors', as covers says — and of source
// when not empty (for IOC sweeps).
func (s *Service) ActiveFor(ctx context.Context, unit int64, source string, covers func(owner, unit int64) bool) (*Matcher, error) {
	list, err := s.store.ListIndicators(ctx, Filter{ActiveAt: s.now(), Source: source})
	if err != nil {
		return nil, err
	}
	keep := list[:0]
	for _, ind := range list {
		if covers(ind.UnitID, unit) {
			keep = append(keep, ind)
		}
	}
	return NewMatcher(keep), nil
}

// RecordSighting stores a sighting.
func (s *Service) RecordSighting(ctx context.Context, sg *Sighting) error {
	return s.store.RecordSighting(ctx, sg)
}

// Share formats of Service.Share.
const (
	ShareSTIX = "stix"
	ShareMISP = "misp"
)

// MaxShare bounds the indicators and the sightings one Share writes.
const MaxShare = 100_000

// Share writes the active indicators of p's units, at most as restricted
// as maxTLP, for exchange with the national monitoring centre and peers:
// a STIX 2.1 bundle or a MISP event, with the sightings of p's units
// (counts and times; hosts, fields and values stay home). Sharing is a
// decision: it needs hunt.write and is audited. The shared indicators
// are those of ListIndicators' order (newest first) up to MaxShare.
func (s *Service) Share(ctx context.Context, p *authz.Principal, format string, maxTLP TLP, identity string, w io.Writer) (int, error) {
	if err := p.Authorize(authz.PermHuntWrite, 0); err != nil {
		return 0, err
	}
	if maxTLP.Rank() == 0 {
		return 0, errs.Invalid("max_tlp", "err.invalid")
	}
	if format != ShareSTIX && format != ShareMISP {
		return 0, errs.Invalid("format", "err.invalid")
	}
	list, err := s.List(ctx, p, Filter{ActiveAt: time.Now(), MaxTLP: maxTLP, Limit: MaxShare})
	if err != nil {
		return 0, err
	}
	var sightings []Sighting
	if len(list) > 0 {
		shared := make(map[int64]bool, len(list))
		for _, ind := range list {
			shared[ind.ID] = true
		}
		all, err := s.store.ListSightings(ctx, 0, MaxShare)
		if err != nil {
			return 0, err
		}
		for _, sg := range all {
			if shared[sg.IndicatorID] && p.InScope(sg.UnitID) {
				sightings = append(sightings, sg)
			}
		}
	}
	o := ExportOptions{Identity: identity}
	if format == ShareSTIX {
		err = WriteSTIXBundle(w, list, sightings, o)
	} else {
		err = WriteMISPEvent(w, "Khiên indicators", list, sightings, o)
	}
	if err != nil {
		return 0, err
	}
	if s.audit != nil {
		err = s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, Action: "intel.share",
			Target: "indicators", Detail: fmt.Sprintf("%s, TLP ≤ %s: %d indicators, %d sightings", format, maxTLP, len(list), len(sightings))})
	}
	return len(list), err
}
