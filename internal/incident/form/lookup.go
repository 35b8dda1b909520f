package form

import (
	"strings"

	"golang.org/x/text/unicode/norm"

	"khien.vn/khien/internal/incident"
)

// Lookup returns the form a clock names by its number ("Mẫu 03"): the
// form of that number in the clock's regime, or else any form of that
// number (regime law116_2025 reports on Circular 20/2017's Forms 03 and
// 04). Numbers are compared after trimming and NFC normalisation.
func Lookup(r *incident.Rules, regime, number string) (incident.Form, bool) {
	if r == nil || strings.TrimSpace(number) == "" {
		return incident.Form{}, false
	}
	var fallback incident.Form
	found := false
	for _, f := range r.Forms {
		if !sameNumber(f.Number, number) {
			continue
		}
		if f.Regime == regime {
			return f, true
		}
		if !found {
			fallback, found = f, true
		}
	}
	return fallback, found
}

// ForClock returns the form a case's clock asks for, if it names one.
func ForClock(r *incident.Rules, c incident.Clock) (incident.Form, bool) {
	return Lookup(r, c.Regime.ID, c.Rule.Form)
}

func sameNumber(a, b string) bool {
	return nfc(strings.TrimSpace(a)) == nfc(strings.TrimSpace(b))
}

func nfc(s string) string { return norm.NFC.String(s) }
