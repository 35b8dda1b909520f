package detect

// Counters exported to the external tests: candidates evaluated by the
// last Match.
func (m *Matcher) lastCandidates() int { return len(m.cands) }
func (m *Matcher) lastFired() int      { return len(m.fired) }
