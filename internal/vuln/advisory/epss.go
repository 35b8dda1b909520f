package advisory

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// EPSS is one CVE's score in FIRST's Exploit Prediction Scoring System
// (https://www.first.org/epss/): the probability, from 0 to 1, of
// exploitation activity against it in the next 30 days, and its percentile
// among every scored CVE.
type EPSS struct {
	CVE        string  `json:"cve"`
	Score      float64 `json:"epss"`
	Percentile float64 `json:"percentile"`
}

// Limits on EPSS files. A day's file has some 300,000 rows, about 10 MiB
// uncompressed.
const (
	// MaxEPSS is the most bytes ParseEPSS reads, after decompression.
	MaxEPSS = 256 << 20
	// MaxEPSSRows is the most scores ParseEPSS accepts, and MaxEPSSLine
	// the longest line, in bytes.
	MaxEPSSRows = 2_000_000
	MaxEPSSLine = 4 << 10
)

// The limits in force; tests lower them.
var (
	maxEPSS     int64 = MaxEPSS
	maxEPSSRows       = MaxEPSSRows
)

// ParseEPSS reads FIRST's daily EPSS scores file (epss_scores-YYYY-MM-DD.csv,
// gzip-compressed as published or not: the gzip magic number is sniffed)
// and returns the model version and score date its comment line states and
// the scores in file order:
//
//	#model_version:v2025.03.14,score_date:2025-03-16T12:55:00Z
//	cve,epss,percentile
//	CVE-1999-0001,0.01141,0.77966
//
// The comment line is absent in the oldest files (model "" and a zero
// date then); lines starting with "#" before the header are read as
// comma-separated key:value pairs, unknown keys ignored. score_date is
// RFC 3339, or "2023-03-05T00:00:00+0000" as files of 2022–2024 write it,
// or a plain date; it is returned in UTC.
//
// The header must be cve,epss,percentile; each row a CVE id
// (CVE-YYYY-NNNN…) not seen before and a score and percentile that are
// decimal numbers from 0 to 1. Blank lines are skipped; fields may be
// CSV-quoted. A bad line is an *Error wrapping ErrMalformed naming its
// line number; more than MaxEPSS bytes once decompressed (a gzip bomb is
// cut off there), more than MaxEPSSRows rows or a line longer than
// MaxEPSSLine wrap ErrTooLarge; corrupt gzip data is malformed. An error
// of r itself is returned as is. On any error nothing else is returned.
func ParseEPSS(r io.Reader) (model string, scoreDate time.Time, list []EPSS, err error) {
	model, scoreDate, list, err = parseEPSS(r)
	if err != nil { // whatever was read before the fault is dropped
		return "", time.Time{}, nil, err
	}
	return model, scoreDate, list, nil
}

func parseEPSS(r io.Reader) (model string, scoreDate time.Time, list []EPSS, err error) {
	const format = "epss"
	f := fault{format: format}
	src := &sourceReader{r: r}
	br := bufio.NewReaderSize(src, 64<<10)
	var in io.Reader = br
	gzipped := false
	magic, err := br.Peek(2)
	if err != nil && src.err != nil {
		return "", time.Time{}, nil, src.err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			if src.err != nil {
				return "", time.Time{}, nil, src.err
			}
			return "", time.Time{}, nil, &Error{Kind: ErrMalformed, Format: format, Msg: "bad gzip header", Err: err}
		}
		defer zr.Close()
		in, gzipped = zr, true
	}
	lr := &io.LimitedReader{R: in, N: maxEPSS + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4<<10), MaxEPSSLine)
	line := 0
	// readErr classifies why reading stopped early, or returns nil.
	readErr := func() error {
		err := sc.Err()
		switch {
		case lr.N <= 0:
			return &Error{Kind: ErrTooLarge, Format: format, Msg: fmt.Sprintf("larger than %d bytes", maxEPSS)}
		case err == nil:
			return nil
		case errors.Is(err, bufio.ErrTooLong):
			return &Error{Kind: ErrTooLarge, Format: format, Path: fmt.Sprintf("line %d", line+1), Msg: fmt.Sprintf("line longer than %d bytes", MaxEPSSLine)}
		case src.err != nil:
			return src.err // an I/O error, not a verdict on the file
		case gzipped:
			return &Error{Kind: ErrMalformed, Format: format, Msg: fmt.Sprintf("bad gzip data after line %d", line), Err: err}
		}
		return err
	}
	// fail reports a bad line, unless the line was cut by a read error or
	// the size limit: then that is the error.
	fail := func(e *Error) (string, time.Time, []EPSS, error) {
		if err := readErr(); err != nil {
			return "", time.Time{}, nil, err
		}
		return "", time.Time{}, nil, e
	}
	// bad reports a fault on the current line.
	bad := func(msg string, args ...any) (string, time.Time, []EPSS, error) {
		return fail(f.at(fmt.Sprintf("line %d", line), msg, args...))
	}
	header := false
	var seen seenCVEs
	var fields [3]string
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		if !header && strings.HasPrefix(text, "#") {
			for pair := range strings.SplitSeq(text[1:], ",") {
				key, value, _ := strings.Cut(pair, ":")
				value = strings.TrimSpace(value)
				switch strings.TrimSpace(key) {
				case "model_version":
					model = value
				case "score_date":
					if scoreDate, err = parseScoreDate(value); err != nil {
						return bad("bad score_date %q", value)
					}
				}
			}
			continue
		}
		n := 0
		for rest, more := text, true; more; n++ {
			var field string
			field, rest, more = strings.Cut(rest, ",")
			if n < len(fields) {
				fields[n] = strings.TrimSpace(unquoteCSV(strings.TrimSpace(field)))
			}
		}
		if !header {
			if n != 3 || !strings.EqualFold(fields[0], "cve") || !strings.EqualFold(fields[1], "epss") || !strings.EqualFold(fields[2], "percentile") {
				return bad("header %q, want cve,epss,percentile", text)
			}
			header = true
			continue
		}
		if n != 3 {
			return bad("want 3 comma-separated fields, have %d", n)
		}
		e := EPSS{CVE: fields[0]}
		if !isCVE(e.CVE) {
			return bad("bad CVE id %q", e.CVE)
		}
		if !seen.add(e.CVE, list) {
			return bad("%s given twice", e.CVE)
		}
		if e.Score, err = probability(fields[1]); err != nil {
			return bad("bad epss %q for %s: %v", fields[1], e.CVE, err)
		}
		if e.Percentile, err = probability(fields[2]); err != nil {
			return bad("bad percentile %q for %s: %v", fields[2], e.CVE, err)
		}
		if len(list) == maxEPSSRows {
			return "", time.Time{}, nil, &Error{Kind: ErrTooLarge, Format: format, Path: fmt.Sprintf("line %d", line), Msg: fmt.Sprintf("more than %d scores", maxEPSSRows)}
		}
		list = append(list, e)
	}
	if err := readErr(); err != nil {
		return "", time.Time{}, nil, err
	}
	if !header {
		return "", time.Time{}, nil, f.at(fmt.Sprintf("line %d", line+1), "missing header cve,epss,percentile")
	}
	if list == nil {
		list = []EPSS{}
	}
	return model, scoreDate, list, nil
}

// sourceReader remembers the error its reader returned, other than
// io.EOF, so that a failing source is told apart from corrupt data.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

var (
	compactOffsetRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?[+-][0-9]{4}$`)
	errProbability  = errors.New("not a number from 0 to 1")
)

// probability parses a decimal number from 0 to 1 (strconv.ParseFloat
// alone would take "NaN", "Inf" and hexadecimal floats).
func probability(s string) (float64, error) {
	if !isDecimal(s) {
		return 0, errProbability
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 1 {
		return 0, errProbability
	}
	return v, nil
}

// isDecimal reports whether s is an unsigned decimal number: digits with
// at most one point, at least one digit, and an optional exponent
// ("4.3e-05", as Python writes small scores).
func isDecimal(s string) bool {
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	digits, points := 0, 0
	for _, c := range []byte(mant) {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			points++
		default:
			return false
		}
	}
	if digits == 0 || points > 1 {
		return false
	}
	if !hasExp {
		return true
	}
	if exp != "" && (exp[0] == '+' || exp[0] == '-') {
		exp = exp[1:]
	}
	return exp != "" && strings.Trim(exp, "0123456789") == ""
}

// isCVE is validCVE without a regular expression, which costs a fifth
// of the time of reading a file.
func isCVE(s string) bool {
	if len(s) < len("CVE-YYYY-NNNN") || s[:4] != "CVE-" || s[8] != '-' {
		return false
	}
	for i := 4; i < len(s); i++ {
		if i != 8 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// seenCVEs tells whether a CVE id came before. Published files are
// sorted by id, so while ids come in increasing order comparing with the
// last one suffices (no set of a few hundred thousand strings to hash);
// the first id out of order builds the set of those before it.
type seenCVEs struct {
	last string
	set  map[string]struct{}
}

// add records id, given the entries before it, and reports whether it was
// new.
func (s *seenCVEs) add(id string, before []EPSS) bool {
	if s.set == nil {
		if id > s.last {
			s.last = id
			return true
		}
		s.set = make(map[string]struct{}, len(before)+1)
		for _, e := range before {
			s.set[e.CVE] = struct{}{}
		}
	}
	if _, dup := s.set[id]; dup {
		return false
	}
	s.set[id] = struct{}{}
	return true
}

// parseScoreDate parses an EPSS score_date: RFC 3339, an ISO 8601
// timestamp with a "+0000" offset, or a date.
func parseScoreDate(s string) (time.Time, error) {
	if compactOffsetRE.MatchString(s) {
		return plausible(time.Parse("2006-01-02T15:04:05-0700", s))
	}
	return parseDate(s)
}
