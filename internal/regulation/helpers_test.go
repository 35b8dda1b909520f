package regulation_test

import (
	"testing"

	"khien.vn/khien/internal/regulation"
)

const decree85 = "decree85-2016"

// pack85 returns the embedded Decree 85 pack.
func pack85(t testing.TB) *regulation.Pack {
	t.Helper()
	r, err := regulation.LoadEmbedded()
	if err != nil {
		t.Fatalf("LoadEmbedded: %v", err)
	}
	p, ok := r.Pack(decree85)
	if !ok {
		t.Fatalf("embedded pack %s missing", decree85)
	}
	return p
}

func matchIDs(ms []regulation.Match) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.CriterionID)
	}
	return out
}
