package restic

import (
	"net/url"
	"slices"
	"strings"
)

// redacted replaces a secret in restic's output.
const redacted = "[REDACTED]"

// minCredential is the shortest Env value that is redacted: shorter values
// ("1", "us") are settings rather than secrets, and replacing them would
// shred the output. The password is redacted whatever its length.
const minCredential = 4

// redactor removes a repository's secrets from text.
type redactor struct {
	secrets []string // longest first, no duplicates, none empty
}

// newRedactor returns a redactor for repo's password, its credential values
// and any password in its location's URL, each also in its URL-escaped
// forms (restic prints URLs).
func newRedactor(repo Repo) *redactor {
	var list []string
	add := func(s string, always bool) {
		if s == "" || (!always && len(s) < minCredential) {
			return
		}
		list = append(list, s, url.QueryEscape(s), url.PathEscape(s))
	}
	add(repo.Password, true)
	for _, v := range repo.Env {
		add(v, false)
	}
	if pw, _, _, ok := locationPassword(repo.Location); ok {
		add(pw, true)
		if plain, err := url.PathUnescape(pw); err == nil {
			add(plain, true)
		}
	}
	slices.SortFunc(list, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return &redactor{secrets: slices.Compact(list)}
}

// locationPassword returns the password in a location such as
// "rest:https://user:pw@host/" or "s3:https://key:secret@host/bucket", as
// written (maybe percent-encoded), and where it is in location.
func locationPassword(location string) (pw string, start, end int, ok bool) {
	i := strings.Index(location, "://")
	if i < 0 {
		return "", 0, 0, false
	}
	host := i + len("://")
	rest := location[host:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return "", 0, 0, false
	}
	colon := strings.IndexByte(rest[:at], ':')
	if colon < 0 {
		return "", 0, 0, false
	}
	start, end = host+colon+1, host+at
	return location[start:end], start, end, true
}

// redact returns s with every occurrence of every secret replaced. Bytes
// covered by any occurrence — overlapping ones included — are replaced as
// one run, so no part of a secret that overlaps another one survives.
func (r *redactor) redact(s string) string {
	if r == nil || len(r.secrets) == 0 || s == "" {
		return s
	}
	var cover []bool
	for _, sec := range r.secrets {
		marked := 0 // cover[:marked] is done for this secret
		for off := 0; off < len(s); {
			i := strings.Index(s[off:], sec)
			if i < 0 {
				break
			}
			if cover == nil {
				cover = make([]bool, len(s))
			}
			start := off + i
			for j := max(start, marked); j < start+len(sec); j++ {
				cover[j] = true
			}
			marked = start + len(sec)
			off = start + 1
		}
	}
	if cover == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if !cover[i] {
			j := i
			for j < len(s) && !cover[j] {
				j++
			}
			b.WriteString(s[i:j])
			i = j
			continue
		}
		for i < len(s) && cover[i] {
			i++
		}
		b.WriteString(redacted)
	}
	return b.String()
}

// redactAll redacts each string of list in place and returns it.
func (r *redactor) redactAll(list []string) []string {
	for i, s := range list {
		list[i] = r.redact(s)
	}
	return list
}
