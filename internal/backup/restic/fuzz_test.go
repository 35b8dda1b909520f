package restic

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// restic's output is untrusted input: a compromised repository host or a
// tampered bucket decides part of it. The fuzz targets check that the
// parsers never panic, keep within their bounds, and only return IDs that
// cannot be taken for flags.

func FuzzParseSnapshots(f *testing.F) {
	f.Add([]byte(golden(f, "snapshots.json")))
	f.Add([]byte("[]"))
	f.Add([]byte("null"))
	f.Add([]byte(`[{"id":"` + idA + `","tree":"` + treeA + `","time":"2026-01-01T00:00:00Z","short_id":"886cef7a","parent":"` + idB + `"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := parseSnapshots(data)
		if err != nil {
			return
		}
		for _, s := range list {
			if !fullID.MatchString(s.ID) || !fullID.MatchString(s.Tree) || !strings.HasPrefix(s.ID, s.ShortID) || len(s.ShortID) < 8 {
				t.Fatalf("accepted snapshot with bad IDs: %+v", s)
			}
			if s.Parent != "" && !fullID.MatchString(s.Parent) {
				t.Fatalf("accepted bad parent %q", s.Parent)
			}
			if s.Time.IsZero() {
				t.Fatal("accepted a snapshot without time")
			}
		}
	})
}

func FuzzParseStats(f *testing.F) {
	f.Add([]byte(golden(f, "stats-raw-data.json")))
	f.Add([]byte(golden(f, "stats-restore-size.json")))
	f.Add([]byte(`{"total_size":100,"total_uncompressed_size":250,"compression_ratio":2.5,"snapshots_count":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseStats(data)
		if err != nil {
			return
		}
		if st.TotalSize < 0 || st.TotalFileCount < 0 || st.TotalBlobCount < 0 || st.SnapshotsCount < 0 || st.TotalUncompressedSize < 0 || st.CompressionRatio < 0 {
			t.Fatalf("accepted negative figures: %+v", st)
		}
	})
}

func FuzzParseLs(f *testing.F) {
	f.Add([]byte(golden(f, "ls.jsonl")))
	f.Add([]byte(""))
	f.Add([]byte("{\"struct_type\":\"snapshot\"}\n{\"struct_type\":\"node\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		nodes := 0
		snap, err := parseLs(strings.NewReader(string(data)), func(n Node) error {
			nodes++
			if !strings.HasPrefix(n.Path, "/") || n.Name == "" || n.Type == "" || n.Size < 0 {
				t.Fatalf("fn got an invalid node: %+v", n)
			}
			return nil
		})
		if err != nil {
			return
		}
		if !fullID.MatchString(snap.ID) {
			t.Fatalf("accepted snapshot ID %q", snap.ID)
		}
		if nodes > strings.Count(string(data), "\n")+1 {
			t.Fatalf("%d nodes from %d lines", nodes, strings.Count(string(data), "\n")+1)
		}
	})
}

func FuzzParseBackupSummary(f *testing.F) {
	f.Add([]byte(golden(f, "backup.jsonl")))
	f.Add([]byte(golden(f, "backup-quiet.jsonl")))
	f.Add([]byte(`{"message_type":"error","error":{"message":"x"},"during":"archival","item":"/a"}` + "\n" +
		`{"message_type":"summary","snapshot_id":"584b46cd","total_duration":1.5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseBackupSummary(data)
		if err != nil {
			return
		}
		if !shortOrFullID.MatchString(s.SnapshotID) || s.Duration < 0 || len(s.Errors) > maxMessages || s.Incomplete {
			t.Fatalf("accepted summary %+v", s)
		}
		for _, e := range s.Errors {
			if len(e) > maxMessage {
				t.Fatalf("message of %d bytes kept", len(e))
			}
		}
	})
}

func FuzzParseCheck(f *testing.F) {
	for _, name := range []string{"check-ok", "check-read-ok", "check-group-ok", "check-corrupt", "check-missing-pack",
		"check-missing-tree", "check-index", "check-no-index"} {
		code := 0
		if strings.Contains(golden(f, name+".stderr"), "Fatal") {
			code = 1
		}
		f.Add(golden(f, name+".stdout"), golden(f, name+".stderr"), code)
	}
	f.Add("", golden(f, "wrong-password.stderr"), 1)
	f.Fuzz(func(t *testing.T, stdout, stderr string, code int) {
		res, known := parseCheck(stdout, stderr, code)
		if !known {
			return
		}
		switch {
		case res.OK && code != 0:
			t.Fatalf("OK with exit status %d", code)
		case res.OK && (res.ErrorCount != 0 || len(res.Errors) != 0):
			t.Fatalf("OK with errors: %+v", res)
		case !res.OK && res.ErrorCount == 0:
			t.Fatal("failed without an error")
		case len(res.Errors) > maxMessages || len(res.Errors) > res.ErrorCount || res.PacksRead < 0:
			t.Fatalf("bounds: %d errors kept of %d, %d packs", len(res.Errors), res.ErrorCount, res.PacksRead)
		case len(res.Output) > 2*maxCheckOutput+1:
			t.Fatalf("output of %d bytes kept", len(res.Output))
		}
		for _, e := range res.Errors {
			if len(e) > maxMessage {
				t.Fatalf("error of %d bytes kept", len(e))
			}
		}
	})
}

func FuzzParseRestore(f *testing.F) {
	f.Add(golden(f, "restore-verify-ok.stdout"), "", 0, true)
	f.Add(golden(f, "restore-corrupt.stdout"), golden(f, "restore-corrupt.stderr"), 1, true)
	f.Add("finished verifying 3 files in /t (took 1m2.5s)\n", "", 0, true)
	f.Add("", "ignoring error for /a: Unexpected content in /a, starting at offset 0\nFatal: There were 1 errors\n", 1, false)
	f.Fuzz(func(t *testing.T, stdout, stderr string, code int, verify bool) {
		res, known := parseRestore(stdout, stderr, code, verify)
		if !known {
			return
		}
		switch {
		case res.OK && code != 0:
			t.Fatalf("OK with exit status %d", code)
		case res.Verified && (!verify || !res.OK):
			t.Fatalf("verified without a successful verification: %+v", res)
		case res.OK && (res.ErrorCount != 0 || len(res.Errors) != 0):
			t.Fatalf("OK with errors: %+v", res)
		case len(res.Errors) > maxMessages || res.ErrorCount < len(res.Errors) || res.FilesVerified < 0 || res.VerifyDuration < 0:
			t.Fatalf("bounds: %+v", res)
		}
	})
}

// FuzzRedact: no secret survives redaction. "[REDACTED]" is turned into a
// NUL first, since the marker's own characters may spell part of a secret
// with what follows.
func FuzzRedact(f *testing.F) {
	f.Add("Fatal: wrong password hunter2", "hunter2", "key-AKIA")
	f.Add("xxabcdefyy", "abcd", "cdef")
	f.Add("ababab", "aba", "bab")
	f.Add("D]x", "D]", "]x")
	f.Fuzz(func(t *testing.T, text, password, credential string) {
		if password == "" || strings.ContainsRune(password, 0) || strings.ContainsRune(credential, 0) {
			return
		}
		r := newRedactor(Repo{Password: password, Env: map[string]string{"K": credential}})
		out := strings.ReplaceAll(r.redact(text), redacted, "\x00")
		if strings.Contains(out, password) {
			t.Fatalf("redact(%q) = %q still holds the password %q", text, out, password)
		}
		if len(credential) >= minCredential && strings.Contains(out, credential) {
			t.Fatalf("redact(%q) = %q still holds the credential %q", text, out, credential)
		}
		if !strings.Contains(text, password) && (len(credential) < minCredential || !strings.Contains(text, credential)) &&
			utf8.ValidString(text) && r.redact(text) != text && !hasEscapedSecret(text, password, credential) {
			t.Fatalf("redact changed %q, which holds no secret", text)
		}
	})
}

// hasEscapedSecret reports whether text holds one of the secrets' URL
// escapes, which are redacted too.
func hasEscapedSecret(text string, secrets ...string) bool {
	for _, s := range secrets {
		r := newRedactor(Repo{Password: s})
		for _, v := range r.secrets {
			if strings.Contains(text, v) {
				return true
			}
		}
	}
	return false
}
