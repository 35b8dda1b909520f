package detect

// LastCounts reports, for the last Match, the predicates fired and the
// compiled rules evaluated (tests and benchmarks only).
func (m *Matcher) LastCounts() (fired, evaluated int) { return m.lastFired(), m.lastCandidates() }

// AlwaysRules returns the titles of the rules evaluated on every event.
func (e *Engine) AlwaysRules() []string {
	var out []string
	for _, i := range e.always {
		out = append(out, e.rules[e.compiled[i].rule].Title)
	}
	return out
}
