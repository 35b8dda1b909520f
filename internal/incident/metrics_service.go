package incident

import (
	"context"

	"khien.vn/khien/internal/authz"
)

// metricsPage is how many cases Metrics reads at a time.
const metricsPage = 500

// Metrics returns the times of every case p may read (incident.read) that
// f selects — f.Units, f.Open and f.SystemID as in List; f.Limit and
// f.Offset are ignored — for Compute and GroupBy. For each case: AckAt, the
// first step out of New in its timeline (AckTime) or, for a case opened
// past New, its creation; and for an open case the most urgent state of
// its legal clocks at now (MostUrgent over Clocks with its submissions).
func (s *Service) Metrics(ctx context.Context, p *authz.Principal, f Filter) ([]CaseTimes, error) {
	var out []CaseTimes
	seen := map[int64]bool{} // a case created while paging may shift one into the next page
	f.Limit = metricsPage
	for offset := 0; ; offset += metricsPage {
		f.Offset = offset
		cases, total, err := s.List(ctx, p, f)
		if err != nil {
			return nil, err
		}
		for _, c := range cases {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			ct, err := s.caseTimes(ctx, c)
			if err != nil {
				return nil, err
			}
			out = append(out, ct)
		}
		if offset+len(cases) >= total || len(cases) == 0 {
			return out, nil
		}
	}
}

// caseTimes reads what the metrics need of case c besides c itself.
func (s *Service) caseTimes(ctx context.Context, c Case) (CaseTimes, error) {
	ct := CaseTimes{Case: c}
	timeline, err := s.store.ListEntries(ctx, c.ID)
	if err != nil {
		return CaseTimes{}, err
	}
	ct.AckAt = AckTime(timeline)
	if ct.AckAt.IsZero() && c.Status != New {
		// Opened past New: acknowledged when it was opened.
		ct.AckAt = c.CreatedAt
		for _, e := range timeline {
			if e.Kind == EntryCreated {
				ct.AckAt = e.At
				break
			}
		}
	}
	if c.Status == Closed {
		return ct, nil
	}
	subs, err := s.store.ListSubmissions(ctx, c.ID)
	if err != nil {
		return CaseTimes{}, err
	}
	clocks, _, err := s.Clocks(ctx, c, subs)
	if err != nil {
		return CaseTimes{}, err
	}
	ct.ClockState = MostUrgent(clocks)
	return ct, nil
}
