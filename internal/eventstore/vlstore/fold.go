package vlstore

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/VictoriaMetrics/VictoriaLogs/lib/logstorage"
)

// Bounds of resolveRegexps (variables for the tests).
var (
	// resolveMaxDistinct is the most distinct values of a field that
	// resolveRegexps reads; a field with more keeps its regexps.
	resolveMaxDistinct = 100_000
	// resolveMaxMatched is the most matching values it puts in an in(…)
	// list; beyond that the list costs more to parse than it saves.
	resolveMaxMatched = 20_000
	// resolveOff turns resolveRegexps off (tests compare results).
	resolveOff = false
)

// resolveRegexps (expr is the query as given, lq its parsed form) speeds up case-insensitive regular expressions, which the
// engine checks value by value with Go's regexp package (3–10 s over 10
// million events, where a case-sensitive substring takes 0.3 s; see
// docs/BENCHMARKS.md): a top-level conjunct field:~"(?i)…" is replaced by
// field:in(v1, …), the distinct values of field, among the events that the
// other conjuncts select, that the regexp matches. Whether a value matches
// depends on the value alone, so the result is the same; the distinct
// values come from one cheap query (`… field:* | uniq by (field)`), and
// fields hunted this way (command lines, paths, user agents) repeat their
// values a lot. Regexps that match the empty value are left alone (events
// without the field would drop out), and so is a field with more than
// resolveMaxDistinct distinct values or resolveMaxMatched matching ones,
// and every query whose top level has an "or". It returns lq unchanged
// when there is nothing to resolve.
func (s *Store) resolveRegexps(ctx context.Context, expr string, lq *logstorage.Query, tenants []logstorage.TenantID) (*logstorage.Query, error) {
	if resolveOff || !strings.Contains(expr, "(?i") {
		return lq, nil // the common case; a regexp spelled with escapes runs as given
	}
	text := lq.String()
	if !strings.Contains(text, `:~"(?i`) && !strings.HasPrefix(text, `~"(?i`) && !strings.Contains(text, ` ~"(?i`) {
		return lq, nil // the common case: nothing to look at
	}
	terms, pipes, ok := topLevelTerms(text)
	if !ok {
		return lq, nil
	}
	byField := map[string][]int{} // field token → indexes of its regexp terms
	var res = map[int]*regexp.Regexp{}
	var order []string
	for i, t := range terms {
		field, re, ok := foldRegexpTerm(t)
		if !ok {
			continue
		}
		if _, seen := byField[field]; !seen {
			order = append(order, field)
		}
		byField[field] = append(byField[field], i)
		res[i] = re
	}
	if len(order) == 0 {
		return lq, nil
	}
	changed := false
	for _, field := range order {
		idx := byField[field]
		var rest []string
		for i, t := range terms {
			if _, isRe := res[i]; !isRe && t != "" {
				rest = append(rest, t)
			}
		}
		values, ok, err := s.distinctMatching(ctx, lq, tenants, rest, field, idx, res)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		quoted := make([]string, len(values))
		for i, v := range values {
			quoted[i] = strconv.Quote(v)
		}
		terms[idx[0]] = field + ":in(" + strings.Join(quoted, ",") + ")"
		for _, i := range idx[1:] {
			terms[i] = ""
		}
		for _, i := range idx {
			delete(res, i)
		}
		changed = true
	}
	if !changed {
		return lq, nil
	}
	var b strings.Builder
	for _, t := range terms {
		if t != "" {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(t)
		}
	}
	if b.Len() == 0 {
		b.WriteString("*")
	}
	b.WriteString(pipes)
	out, err := logstorage.ParseQueryAtTimestamp(b.String(), lq.GetTimestamp())
	if err != nil {
		return lq, nil // a form this code does not foresee: run the query as given
	}
	return out, nil
}

// distinctMatching returns the distinct values of field, among the events
// the rest terms select, that every regexp of the terms idx matches; ok is
// false when the field has too many distinct or matching values.
func (s *Store) distinctMatching(ctx context.Context, lq *logstorage.Query, tenants []logstorage.TenantID,
	rest []string, field string, idx []int, res map[int]*regexp.Regexp) (values []string, ok bool, err error) {
	key := fmt.Sprint(tenants) + "\x00" + strings.Join(rest, " ") + "\x00" + field
	for _, j := range idx {
		key += "\x00" + res[j].String()
	}
	if e, hit := s.resolved.get(key); hit {
		return e.values, e.ok, nil
	}
	defer func() {
		if err == nil {
			s.resolved.put(key, resolveEntry{values: values, ok: ok})
		}
	}()
	name := field
	if strings.HasPrefix(field, `"`) {
		if name, err = strconv.Unquote(field); err != nil {
			return nil, false, nil
		}
	}
	if name == "" {
		field, name = "_msg", "_msg"
	}
	expr := strings.Join(append(rest, field+":*"), " ") +
		" | uniq by (" + field + ") limit " + strconv.Itoa(resolveMaxDistinct+1)
	probe, err := logstorage.ParseQueryAtTimestamp(expr, lq.GetTimestamp())
	if err != nil {
		return nil, false, nil
	}
	res0 := make([]*regexp.Regexp, len(idx))
	for i, j := range idx {
		res0[i] = res[j]
	}
	var (
		mu       sync.Mutex
		distinct int
		matched  []string
		seen     = map[string]struct{}{}
	)
	writeBlock := func(_ uint, db *logstorage.DataBlock) {
		col := db.GetColumnByName(name)
		mu.Lock()
		defer mu.Unlock()
		n := db.RowsCount()
		distinct += n
		if col == nil || distinct > resolveMaxDistinct || len(matched) > resolveMaxMatched {
			return
		}
	values:
		for _, v := range col.Values[:n] {
			for _, re := range res0 {
				if !re.MatchString(v) {
					continue values
				}
			}
			if _, dup := seen[v]; !dup {
				v = strings.Clone(v)
				seen[v] = struct{}{}
				matched = append(matched, v)
			}
		}
	}
	qctx := logstorage.NewQueryContext(ctx, &logstorage.QueryStats{}, tenants, probe, false, nil)
	if err := s.st.RunQuery(qctx, writeBlock); err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, false, nil // run the query as given; it reports its own errors
	}
	if distinct > resolveMaxDistinct || len(matched) > resolveMaxMatched {
		return nil, false, nil
	}
	return matched, true, nil
}

// resolveCache keeps the value lists of recent resolutions for a few
// seconds: a hunt page asks the store twice with the same filters and
// range (the events, then their histogram), and the distinct values are
// the costly part. Queries over "the last 24 hours" end at a new instant
// each time, so they never share an entry.
type resolveCache struct {
	mu sync.Mutex
	m  map[string]resolveEntry
}

type resolveEntry struct {
	values []string
	ok     bool
	at     time.Time
}

// resolveTTL is how long a resolution is reused; resolveEntries bounds the cache.
const (
	resolveTTL     = 30 * time.Second
	resolveEntries = 64
)

func (c *resolveCache) get(key string) (resolveEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || time.Since(e.at) > resolveTTL {
		return resolveEntry{}, false
	}
	return e, true
}

func (c *resolveCache) put(key string, e resolveEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]resolveEntry{}
	}
	now := time.Now()
	if len(c.m) >= resolveEntries {
		for k, old := range c.m {
			if now.Sub(old.at) > resolveTTL || len(c.m) >= resolveEntries {
				delete(c.m, k)
			}
		}
	}
	e.at = now
	c.m[key] = e
}

// foldRegexpTerm reports whether a canonical filter term is a
// case-insensitive regexp on one field (field:~"(?i)…", or ~"(?i)…" on the
// message) that does not match the empty value, and returns the field as
// written in the term ("" for the message) and the regexp.
func foldRegexpTerm(t string) (field string, re *regexp.Regexp, ok bool) {
	i := strings.Index(t, `~"`)
	if i < 0 || !strings.HasSuffix(t, `"`) {
		return "", nil, false
	}
	head := t[:i]
	switch {
	case head == "":
	case strings.HasSuffix(head, ":"):
		field = head[:len(head)-1]
		if field == "" || strings.ContainsAny(field[:1], "!-(") {
			return "", nil, false
		}
		if strings.HasPrefix(field, `"`) {
			if _, err := strconv.Unquote(field); err != nil {
				return "", nil, false
			}
		} else if strings.ContainsAny(field, ` "():|`) {
			return "", nil, false
		}
	default:
		return "", nil, false
	}
	expr, err := strconv.Unquote(t[i+1:])
	if err != nil || !strings.HasPrefix(expr, "(?i") {
		return "", nil, false
	}
	re, err = regexp.Compile(expr)
	if err != nil || re.MatchString("") {
		return "", nil, false
	}
	return field, re, true
}

// topLevelTerms splits a canonical LogsQL query (logstorage.Query.String)
// into the terms of its top-level conjunction and the rest from the first
// top-level pipe on (" | …"). ok is false when the top level has an "or"
// or the text is not balanced.
func topLevelTerms(q string) (terms []string, pipes string, ok bool) {
	depth, start := 0, 0
	flush := func(end int) {
		if t := strings.TrimSpace(q[start:end]); t != "" {
			terms = append(terms, t)
		}
		start = end + 1
	}
	for i := 0; i < len(q); i++ {
		switch c := q[i]; c {
		case '"', '`':
			j := i + 1
			for ; j < len(q) && q[j] != c; j++ {
				if q[j] == '\\' && c != '`' {
					j++
				}
			}
			if j >= len(q) {
				return nil, "", false
			}
			i = j
		case '(':
			depth++
		case ')':
			if depth--; depth < 0 {
				return nil, "", false
			}
		case ' ', '\n', '\t':
			if depth == 0 {
				flush(i)
			}
		case '|':
			if depth == 0 {
				flush(i)
				pipes = " " + q[i:]
				i = len(q)
				start = len(q)
			}
		}
	}
	if depth != 0 {
		return nil, "", false
	}
	if start < len(q) {
		flush(len(q))
	}
	for _, t := range terms {
		if strings.EqualFold(t, "or") {
			return nil, "", false
		}
	}
	return terms, pipes, true
}
