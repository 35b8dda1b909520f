package vlremote

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The store does not parse LogsQL — the server does — but it must know two
// things about a query that the embedded store asks the library:
//
//   - whether its pipes keep rows as they are (filters, field edits), so
//     that Order applies and results are sorted by _time
//     (logstorage.Query.CanReturnLastNResults);
//   - whether it is distributive over tenants — running it on each unit and
//     concatenating the results gives the results of running it on all of
//     them at once — which is what a query over several units needs, since
//     the server runs a query in one tenant only.
//
// shapeOf finds the query's top-level pipes with a lexer that mirrors the
// library's (lib/logstorage/parser.go: quoted strings, # comments,
// parentheses) and classifies them by name, as the library does.

// queryShape describes a LogsQL query's pipes.
type queryShape struct {
	// keepsRows is set when every pipe keeps rows as they are, with their
	// _time: results can be sorted by _time.
	keepsRows bool
	// distributive is set when every pipe works row by row and no
	// subquery reads other rows.
	distributive bool
	// hitsDistributive is the same for the part of the query Hits keeps:
	// the filters and the pipes up to the first one that does not keep
	// rows, except union and join (logstorage.Query.AddCountByTimePipe).
	hitsDistributive bool
	// pipes are the names of the top-level pipes, lower-case ("filter"
	// and "stats" for the pipes written without their keyword).
	pipes []string
	// optionIgnoreTime is set when the query names the
	// ignore_global_time_filter option (outside quoted strings).
	optionIgnoreTime bool
}

// token is one token of a LogsQL query.
type token struct {
	// s is the token's text, unquoted when quoted.
	s      string
	quoted bool
}

// lexLogsQL splits a query into tokens the way the library's lexer does,
// except that adjacent unquoted characters that are not white space,
// parentheses, commas or pipes form one token (the library's compound
// tokens: host.name, _time:5m).
func lexLogsQL(s string) []token {
	var toks []token
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case unicode.IsSpace(r):
			s = s[size:]
			continue
		case r == '#':
			if n := strings.IndexByte(s, '\n'); n >= 0 {
				s = s[n+1:]
			} else {
				s = ""
			}
			continue
		case r == '"' || r == '`':
			if prefix, err := strconv.QuotedPrefix(s); err == nil {
				if v, err := strconv.Unquote(prefix); err == nil {
					toks = append(toks, token{s: v, quoted: true})
					s = s[len(prefix):]
					continue
				}
			}
			toks = append(toks, token{s: s[:1]})
			s = s[1:]
		case r == '\'':
			if v, n, ok := unquoteSingle(s); ok {
				toks = append(toks, token{s: v, quoted: true})
				s = s[n:]
				continue
			}
			toks = append(toks, token{s: s[:1]})
			s = s[1:]
		case r == '(' || r == ')' || r == ',' || r == '|':
			toks = append(toks, token{s: s[:1]})
			s = s[1:]
		default:
			n := 0
			for n < len(s) {
				r, size := utf8.DecodeRuneInString(s[n:])
				if unicode.IsSpace(r) || strings.ContainsRune("#\"`'(),|", r) {
					break
				}
				n += size
			}
			toks = append(toks, token{s: s[:n]})
			s = s[n:]
		}
	}
	return toks
}

// unquoteSingle unquotes a single-quoted string at the start of s as the
// library does, returning its value and length.
func unquoteSingle(s string) (string, int, bool) {
	var b []byte
	i := 1
	for !strings.HasPrefix(s[i:], "'") {
		if i >= len(s) {
			return "", 0, false
		}
		ch, _, tail, err := strconv.UnquoteChar(s[i:], '\'')
		if err != nil {
			return "", 0, false
		}
		b = utf8.AppendRune(b, ch)
		i = len(s) - len(tail)
	}
	return string(b), i + 1, true
}

// Pipes by how they treat rows (lib/logstorage/pipe.go, pipe_*.go).
var (
	// rowPipes work on each row alone (map, filter, unroll): distributive
	// over tenants. They keep rows sortable by _time unless they write
	// _time (see timeSafe).
	rowPipes = map[string]bool{
		"coalesce": true, "collapse_nums": true, "copy": true, "cp": true, "decolorize": true,
		"del": true, "delete": true, "drop": true, "rm": true, "drop_empty_fields": true,
		"eval": true, "math": true, "extract": true, "extract_regexp": true,
		"fields": true, "keep": true, "filter": true, "where": true, "format": true, "hash": true,
		"json_array_concat": true, "json_array_len": true, "len": true, "mv": true, "rename": true,
		"pack_json": true, "pack_logfmt": true, "replace": true, "replace_regexp": true,
		"set_stream_fields": true, "split": true, "time_add": true, "unpack_json": true,
		"unpack_logfmt": true, "unpack_syslog": true, "unpack_words": true, "unroll": true,
	}
	// otherPipes reshape, reorder, limit or join rows.
	otherPipes = map[string]bool{
		"block_stats": true, "blocks_count": true, "facets": true, "field_names": true,
		"field_values": true, "first": true, "generate_sequence": true, "head": true, "join": true,
		"last": true, "limit": true, "offset": true, "order": true, "query_stats": true,
		"running_stats": true, "sample": true, "skip": true, "sort": true, "stats": true,
		"stats_remote": true, "stream_context": true, "top": true, "total_stats": true,
		"union": true, "uniq": true,
	}
	// statsFuncs start a stats pipe written without "stats".
	statsFuncs = map[string]bool{
		"any": true, "avg": true, "count": true, "count_empty": true, "count_uniq": true,
		"count_uniq_hash": true, "field_max": true, "field_min": true, "histogram": true,
		"json_values": true, "max": true, "median": true, "min": true, "quantile": true, "rate": true,
		"rate_sum": true, "row_any": true, "row_max": true, "row_min": true, "stddev": true,
		"sum": true, "sum_len": true, "uniq_values": true, "values": true,
	}
)

// shapeOf classifies a query's pipes.
func shapeOf(expr string) queryShape {
	toks := lexLogsQL(expr)
	sh := queryShape{keepsRows: true, distributive: true, hitsDistributive: true}
	depth := 0
	var (
		pipe     []token // the tokens of the current top-level pipe
		inPipe   bool
		subquery bool // in the current part (filters, then each pipe)
		hitsDone bool // Hits drops the rest of the pipes
	)
	endPart := func() {
		if !inPipe {
			// The filters.
			if subquery {
				sh.distributive, sh.hitsDistributive = false, false
			}
			subquery = false
			return
		}
		name, keeps, rowWise := classifyPipe(pipe)
		sh.pipes = append(sh.pipes, name)
		sh.keepsRows = sh.keepsRows && keeps
		sh.distributive = sh.distributive && rowWise && !subquery
		if !hitsDone {
			switch {
			case name == "union" || name == "join":
				// Kept by Hits, and reading the whole tenant.
				sh.hitsDistributive = false
			case !keeps:
				hitsDone = true
			case subquery:
				sh.hitsDistributive = false
			}
		}
		pipe, subquery = nil, false
	}
	for i, t := range toks {
		if ignoresTime(toks, i) {
			sh.optionIgnoreTime = true
		}
		if !t.quoted {
			switch t.s {
			case "(":
				depth++
			case ")":
				depth--
			case "|":
				if depth > 0 {
					// A subquery: in(… | fields x), a union or join in
					// parentheses. Its rows come from the whole tenant.
					subquery = true
					break
				}
				endPart()
				inPipe = true
				pipe = []token{}
				continue
			}
		}
		if inPipe {
			pipe = append(pipe, t)
		}
	}
	endPart()
	return sh
}

// ignoreTimeOption is the query option that lets a query or subquery read
// outside the time range the store enforces.
const ignoreTimeOption = "ignore_global_time_filter"

// ignoresTime reports whether toks[i] sets the ignore_global_time_filter
// option to anything but false. The store enforces the time range with an
// extra filter the option does not lift; refusing the option keeps the
// remote store's answers those of the embedded one, which refuses it.
func ignoresTime(toks []token, i int) bool {
	t := toks[i]
	if t.quoted {
		return t.s == ignoreTimeOption
	}
	_, value, ok := strings.Cut(t.s, ignoreTimeOption)
	if !ok {
		return false
	}
	// The value: "=v" in the same token, or "=" and "v" after it.
	rest := toks[i+1:]
	if value == "" && len(rest) > 0 && strings.HasPrefix(rest[0].s, "=") && !rest[0].quoted {
		value, rest = rest[0].s, rest[1:]
	}
	value, ok = strings.CutPrefix(value, "=")
	if !ok {
		return false // a word, not the option
	}
	if value == "" && len(rest) > 0 {
		value = rest[0].s
	}
	b, err := strconv.ParseBool(value)
	return err != nil || b
}

// classifyPipe returns the name of a pipe (its tokens, without the leading
// |), whether it keeps rows sortable by _time, and whether it works row by
// row.
func classifyPipe(toks []token) (name string, keepsRows, rowWise bool) {
	if len(toks) == 0 {
		return "", false, false // a syntax error; the server says which
	}
	first := toks[0]
	name = strings.ToLower(first.s)
	switch {
	case first.quoted:
		name = "filter"
	case rowPipes[name] || otherPipes[name]:
	case statsFuncs[name] || name == "by" && len(toks) > 1 && toks[1].s == "(":
		name = "stats"
	default:
		name = "filter"
	}
	if otherPipes[name] {
		return name, false, false
	}
	return name, timeSafe(name, toks[1:]), true
}

// timeSafe reports whether a row pipe keeps _time as it is
// (canReturnLastNResults of the library's pipes).
func timeSafe(name string, args []token) bool {
	switch name {
	case "fields", "keep":
		// Keeps _time only when listed.
		for _, t := range args {
			if matchesTime(t) {
				return true
			}
		}
		return false
	case "del", "delete", "drop", "rm", "rename", "mv":
		// Must not name _time.
		for _, t := range args {
			if matchesTime(t) {
				return false
			}
		}
		return true
	case "copy", "cp":
		// Must not write _time: the last name of each "src [as] dst".
		for i, t := range args {
			if matchesTime(t) && (i+1 == len(args) || args[i+1].s == ",") {
				return false
			}
		}
		return true
	case "coalesce", "format", "hash", "json_array_concat", "json_array_len", "len",
		"pack_json", "pack_logfmt", "split", "unpack_words":
		// Must not write _time: the name after "as", else the last one.
		for i, t := range args {
			if !t.quoted && strings.EqualFold(t.s, "as") && i+1 < len(args) {
				return !matchesTime(args[i+1])
			}
		}
		return len(args) == 0 || !matchesTime(args[len(args)-1])
	}
	return true
}

// matchesTime reports whether a field name or prefix pattern (name*)
// matches _time.
func matchesTime(t token) bool {
	if t.s == "_time" {
		return true
	}
	if p, ok := strings.CutSuffix(t.s, "*"); ok {
		return strings.HasPrefix("_time", p)
	}
	return false
}
