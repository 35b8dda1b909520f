package secret_test

import (
	"strings"
	"testing"

	"khien.vn/khien/internal/secret"
)

// fuzzSeeds were sealed once with the fixed test keys (k2 = testKey2,
// k1 = testKey1), so that every fuzz worker process agrees on them.
var fuzzSeeds = []struct{ sealed, context, plaintext string }{
	{"v1:k2:AEReFiDnVSqetX5D2CwdqjfJRq80bXsmplraiM8TKnQxAiw", "backup.repo:42:password", "hunter2"},
	{"v1:k2:GHLU69vJfaDBJRLpN1m5A7meHoU911sUfBzqJQ", "backup.repo:1:password", ""},
	{"v1:k2:DEIBiglCIr5vqeM-3ni474SUbP6A-CoaHTRFvncznBXemilTndDNgb8", "backup.repo:7:s3_secret_key", "AKIAEXAMPLE\x00\xff"},
	{"v1:k1:VClTL-JaWN6Nbw5o4FUByNvC6npq0QfNUm27tOyittG61d4", "backup.repo:42:password", "hunter2"},
	{"v1:k1:jvfVpBqtyghrdl3evtHcuGgbfyLA7320gfD9iA", "backup.repo:1:password", ""},
}

// FuzzOpen feeds Open what a database column might hold. Open must never
// panic, and must succeed only on the exact sealed values and contexts
// above: AES-GCM admits no forgery, and the format has one spelling per
// value, so any other input that opens is a bug.
func FuzzOpen(f *testing.F) {
	k, err := secret.OpenKeyring(writeKeyFile(f, "k2 "+testKey2+"\nk1 "+testKey1+"\n", 0o600))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range fuzzSeeds {
		f.Add(s.sealed, s.context)
		f.Add(s.sealed, s.context+"x")
	}
	for _, s := range []string{"", "v1", "v1:", "v1:k1:", "v1:k9:AAAA", "v2:k1:AAAA", "hunter2", "v1:k1:" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		f.Add(s, "backup.repo:42:password")
	}
	f.Fuzz(func(t *testing.T, sealed, context string) {
		got, err := k.Open(sealed, context)
		_ = k.NeedsReseal(sealed)
		if err != nil {
			if got != nil {
				t.Errorf("Open returned %q with error %v", got, err)
			}
			// The message must not depend on the payload: no run of more
			// than 40 non-space characters occurs in any message (a key id
			// has at most 32), so a longer payload must not show.
			msg := err.Error()
			if len(msg) > 160 {
				t.Errorf("error of %d bytes: %q", len(msg), msg)
			}
			if i := strings.LastIndexByte(sealed, ':'); i >= 0 {
				if p := sealed[i+1:]; len(p) > 40 && !strings.ContainsAny(p, " \t\r\n") && strings.Contains(msg, p) {
					t.Errorf("error %q repeats the input", msg)
				}
			}
			return
		}
		for _, s := range fuzzSeeds {
			if s.sealed == sealed && s.context == context {
				if string(got) != s.plaintext {
					t.Fatalf("Open(%q) = %q, want %q", sealed, got, s.plaintext)
				}
				return
			}
		}
		t.Fatalf("Open(%q, %q) succeeded with %q on input that was never sealed", sealed, context, got)
	})
}
