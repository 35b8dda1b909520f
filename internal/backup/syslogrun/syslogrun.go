// Package syslogrun recognises the job-result messages backup software
// writes to syslog — Veeam Backup & Replication, Bacula and Bareos,
// Proxmox VE's vzdump, and the key=value form Khiên documents for scripts
// (tag khien-backup) — and reads from them the job, how it ended, when,
// and how much it wrote, so that the message can be recorded as a run of
// the backup plan copy whose job it names (docs/backups.md, "Runs from
// syslog").
//
// The recognisers are data: forms.yaml, embedded, lists each message
// form with the programs that write it, the literals and the pattern that
// pick it out, and the patterns of its fields; adding software is adding
// a form. Messages come from the network and are untrusted: parsing is
// pure, bounded (a message over MaxMessage bytes is not read, every text
// kept is cut to a limit and made valid UTF-8) and uses RE2 patterns,
// linear in the input.
package syslogrun

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"

	"khien.vn/khien/internal/backup"
)

// Result is what a recognised message says of a backup run.
type Result struct {
	// Form is the id of the form that recognised the message
	// ("bacula.job_report").
	Form string
	// Tool is the software, with its version when the message says it
	// ("Bareos 23.0.1").
	Tool string
	// Job is the name the software gives the job ("TRADING-DB-daily"): a
	// plan copy whose Job is the same (in any case) is the copy the run
	// wrote.
	Job    string
	Status backup.RunStatus
	// StartedAt and FinishedAt are when the run started and ended, in UTC,
	// when the message says it (zero otherwise); Duration how long it took,
	// when the message says that instead.
	StartedAt  time.Time
	FinishedAt time.Time
	Duration   time.Duration
	// Bytes and Files are what the run wrote (0: not said); SnapshotID the
	// software's id of the run or of the backup it made (a Bacula JobId, a
	// Veeam session id, a restic snapshot).
	Bytes      int64
	Files      int64
	SnapshotID string
	// Message is what the software said of the result.
	Message string
}

// Limits of what Parse reads and keeps.
const (
	// MaxMessage is the longest message read; longer ones are not
	// recognised. A Bacula report is 2–4 KiB, a Veeam event 1–2 KiB; the
	// bound keeps a crafted message's cost to a few milliseconds.
	MaxMessage = 16 << 10
	// MaxJob is the longest job name kept (that of a plan copy).
	MaxJob      = 200
	maxTool     = 200
	maxSnapshot = 200
	// MaxText is the longest message kept, in characters (that of a
	// webhook report).
	MaxText = 2000
)

// field is one thing a form reads from a message.
type field int

const (
	fJob field = iota
	fStatus
	fTool
	fVersion
	fStarted
	fFinished
	fDuration
	fBytes
	fFiles
	fSnapshot
	fMessage
	nFields
)

type statusRule struct {
	match  *regexp.Regexp
	status backup.RunStatus
}

// form is one compiled message form.
type form struct {
	id       string
	tool     string
	programs []string
	prefix   string
	contains []int // indexes in Recognizer.literals
	match    *regexp.Regexp
	status   backup.RunStatus // constant, when the form says it
	statuses []statusRule
	layouts  []string
	unescape bool
	fields   [nFields][]*regexp.Regexp
}

// Recognizer holds the message forms. It is immutable once loaded and
// safe for concurrent use.
type Recognizer struct {
	forms []*form
	// literals are the forms' contains literals, each once: a message is
	// searched for each at most once.
	literals []string
}

// The file format of forms.yaml (see the file's comments).
type fileSpec struct {
	Format int        `yaml:"format"`
	Forms  []formSpec `yaml:"forms"`
}

type formSpec struct {
	ID          string       `yaml:"id"`
	Tool        string       `yaml:"tool"`
	Programs    []string     `yaml:"programs"`
	Prefix      string       `yaml:"prefix"`
	Contains    []string     `yaml:"contains"`
	Match       string       `yaml:"match"`
	Status      string       `yaml:"status"`
	Statuses    []statusSpec `yaml:"statuses"`
	TimeLayouts []string     `yaml:"time_layouts"`
	Unescape    bool         `yaml:"unescape"`
	Fields      fieldSpec    `yaml:"fields"`
}

type statusSpec struct {
	Match  string `yaml:"match"`
	Status string `yaml:"status"`
}

type fieldSpec struct {
	Job      []string `yaml:"job"`
	Status   []string `yaml:"status"`
	Tool     []string `yaml:"tool"`
	Version  []string `yaml:"version"`
	Started  []string `yaml:"started"`
	Finished []string `yaml:"finished"`
	Duration []string `yaml:"duration"`
	Bytes    []string `yaml:"bytes"`
	Files    []string `yaml:"files"`
	Snapshot []string `yaml:"snapshot"`
	Message  []string `yaml:"message"`
}

func (s fieldSpec) byField() [nFields][]string {
	return [nFields][]string{fJob: s.Job, fStatus: s.Status, fTool: s.Tool, fVersion: s.Version, fStarted: s.Started,
		fFinished: s.Finished, fDuration: s.Duration, fBytes: s.Bytes, fFiles: s.Files, fSnapshot: s.Snapshot, fMessage: s.Message}
}

var fieldNames = [nFields]string{"job", "status", "tool", "version", "started", "finished", "duration", "bytes", "files", "snapshot", "message"}

// ErrInvalidForms is wrapped by the errors of Load.
var ErrInvalidForms = errors.New("invalid backup message forms")

// Load reads and checks a forms file (format 1): every form with a unique
// id, a tool, a program, prefix or literal to filter on, a valid match, a job
// pattern, and either a status or status patterns with their mapping;
// every pattern valid RE2 with a group. Errors wrap ErrInvalidForms and
// name the form.
func Load(b []byte) (*Recognizer, error) {
	var spec fileSpec
	if err := yaml.NewDecoder(bytes.NewReader(b), yaml.DisallowUnknownField()).Decode(&spec); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidForms, err)
	}
	if spec.Format != 1 {
		return nil, fmt.Errorf("%w: format %d, want 1", ErrInvalidForms, spec.Format)
	}
	if len(spec.Forms) == 0 {
		return nil, fmt.Errorf("%w: no form", ErrInvalidForms)
	}
	r := &Recognizer{}
	seen := map[string]bool{}
	for i, fs := range spec.Forms {
		f, err := compile(fs)
		if err != nil {
			return nil, fmt.Errorf("%w: form %d (%q): %v", ErrInvalidForms, i+1, fs.ID, err)
		}
		if seen[f.id] {
			return nil, fmt.Errorf("%w: form id %q twice", ErrInvalidForms, f.id)
		}
		seen[f.id] = true
		for _, c := range fs.Contains {
			j := slices.Index(r.literals, c)
			if j < 0 {
				j = len(r.literals)
				r.literals = append(r.literals, c)
			}
			f.contains = append(f.contains, j)
		}
		r.forms = append(r.forms, f)
	}
	if len(r.literals) > maxLiterals {
		return nil, fmt.Errorf("%w: more than %d distinct contains literals", ErrInvalidForms, maxLiterals)
	}
	return r, nil
}

func compile(fs formSpec) (*form, error) {
	f := &form{id: strings.TrimSpace(fs.ID), tool: strings.TrimSpace(fs.Tool), prefix: fs.Prefix, unescape: fs.Unescape, layouts: fs.TimeLayouts}
	switch {
	case f.id == "":
		return nil, errors.New("id missing")
	case f.tool == "":
		return nil, errors.New("tool missing")
	case len(fs.Programs) == 0 && len(fs.Contains) == 0 && fs.Prefix == "":
		return nil, errors.New("no programs, prefix or contains: every event would be matched against the patterns")
	case fs.Match == "":
		return nil, errors.New("match missing")
	}
	for _, p := range fs.Programs {
		if p = strings.TrimSpace(p); p == "" {
			return nil, errors.New("empty program")
		}
		f.programs = append(f.programs, p)
	}
	if slices.Contains(fs.Contains, "") {
		return nil, errors.New("empty contains literal")
	}
	var err error
	if f.match, err = regexp.Compile(fs.Match); err != nil {
		return nil, fmt.Errorf("match: %v", err)
	}
	for i, pats := range fs.Fields.byField() {
		for _, p := range pats {
			re, err := regexp.Compile(p)
			if err != nil {
				return nil, fmt.Errorf("fields.%s: %v", fieldNames[i], err)
			}
			if re.NumSubexp() == 0 {
				return nil, fmt.Errorf("fields.%s: %q has no group", fieldNames[i], p)
			}
			f.fields[i] = append(f.fields[i], re)
		}
	}
	if len(f.fields[fJob]) == 0 {
		return nil, errors.New("fields.job missing")
	}
	switch {
	case fs.Status != "":
		if f.status = backup.RunStatus(fs.Status); !validStatus(f.status) {
			return nil, fmt.Errorf("status %q is not success, warning or failed", fs.Status)
		}
		if len(fs.Statuses) > 0 || len(f.fields[fStatus]) > 0 {
			return nil, errors.New("status with statuses or fields.status: one or the other")
		}
	case len(fs.Statuses) == 0 || len(f.fields[fStatus]) == 0:
		return nil, errors.New("neither status nor both statuses and fields.status")
	}
	for _, s := range fs.Statuses {
		re, err := regexp.Compile(s.Match)
		if err != nil {
			return nil, fmt.Errorf("statuses: %v", err)
		}
		st := backup.RunStatus(s.Status)
		if !validStatus(st) {
			return nil, fmt.Errorf("statuses: %q is not success, warning or failed", s.Status)
		}
		f.statuses = append(f.statuses, statusRule{match: re, status: st})
	}
	if (len(f.fields[fStarted]) > 0 || len(f.fields[fFinished]) > 0) && len(f.layouts) == 0 {
		return nil, errors.New("fields.started or fields.finished without time_layouts")
	}
	for _, l := range f.layouts {
		if strings.TrimSpace(l) == "" {
			return nil, errors.New("empty time layout")
		}
	}
	return f, nil
}

func validStatus(s backup.RunStatus) bool {
	return s == backup.RunSuccess || s == backup.RunWarning || s == backup.RunFailed
}

//go:embed forms.yaml
var embeddedForms []byte

var defaultRecognizer = mustLoad(embeddedForms)

func mustLoad(b []byte) *Recognizer {
	r, err := Load(b)
	if err != nil {
		panic(err) // the embedded file is checked by the package's tests
	}
	return r
}

// Default returns the recogniser of Khiên's forms (forms.yaml).
func Default() *Recognizer { return defaultRecognizer }

// Forms lists the ids of the recogniser's forms, in the order they are
// tried.
func (r *Recognizer) Forms() []string {
	out := make([]string, len(r.forms))
	for i, f := range r.forms {
		out[i] = f.id
	}
	return out
}

// Parse recognises message with Khiên's forms; see Recognizer.Parse.
func Parse(program, message string, loc *time.Location) (Result, bool) {
	return defaultRecognizer.Parse(program, message, loc)
}

// Candidate reports whether some form's cheap filter (programs, prefix,
// literals) accepts message: only such messages can be recognised. It is
// what a caller runs on every event before doing the work Parse needs
// (finding the sender's time zone).
func (r *Recognizer) Candidate(program, message string) bool {
	if message == "" || len(message) > MaxMessage {
		return false
	}
	var found [maxLiterals]int8
	for _, f := range r.forms {
		if r.accepts(f, program, message, &found) {
			return true
		}
	}
	return false
}

// rsyslog writes control characters as '#' and three octal digits.
var rsyslogEscapes = strings.NewReplacer("#012", "\n", "#015", "", "#011", "\t")

// Parse recognises message, written by program (the syslog APP-NAME or
// TAG; "" when unknown), as the result of a backup job: the first form
// whose programs, literals and pattern accept it and from which a job and
// a status can be read gives the result. Times without a zone are read in
// loc (nil: UTC). It reports false for every other message, cheaply:
// most messages are rejected by a program name or a literal.
func (r *Recognizer) Parse(program, message string, loc *time.Location) (Result, bool) {
	if message == "" || len(message) > MaxMessage {
		return Result{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	var text string             // message with rsyslog's escapes undone, made once
	var found [maxLiterals]int8 // per literal: 0 not searched yet, 1 in the message, -1 not
	for _, f := range r.forms {
		if !r.accepts(f, program, message, &found) {
			continue
		}
		if text == "" {
			text = message
			if strings.Contains(text, "#0") {
				text = rsyslogEscapes.Replace(text)
			}
		}
		if !f.match.MatchString(text) {
			continue
		}
		if res, ok := f.read(text, loc); ok {
			return res, true
		}
	}
	return Result{}, false
}

// maxLiterals bounds the distinct literals of a recogniser (the memo of
// Parse is an array on the stack).
const maxLiterals = 64

// accepts is the cheap filter run on every event: the program, the
// prefix, then the literals, each searched once per message.
func (r *Recognizer) accepts(f *form, program, message string, found *[maxLiterals]int8) bool {
	if len(f.programs) > 0 && !slices.ContainsFunc(f.programs, func(p string) bool { return strings.EqualFold(p, program) }) {
		return false
	}
	if !strings.HasPrefix(message, f.prefix) {
		return false
	}
	for _, i := range f.contains {
		if found[i] == 0 {
			found[i] = -1
			if strings.Contains(message, r.literals[i]) {
				found[i] = 1
			}
		}
		if found[i] < 0 {
			return false
		}
	}
	return true
}

// quoteEscapes undoes the escapes of a double-quoted value.
var quoteEscapes = strings.NewReplacer(`\"`, `"`, `\\`, `\`)

// value returns the first match of field's patterns in text: its
// non-empty groups joined by a space, trimmed ("" when none matches).
func (f *form) value(k field, text string) string {
	for _, re := range f.fields[k] {
		m := re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		var parts []string
		for _, g := range m[1:] {
			if g = strings.TrimSpace(g); g != "" {
				parts = append(parts, g)
			}
		}
		v := strings.Join(parts, " ")
		if f.unescape && strings.Contains(v, `\`) {
			v = quoteEscapes.Replace(v)
		}
		if v != "" {
			return v
		}
	}
	return ""
}

func (f *form) read(text string, loc *time.Location) (Result, bool) {
	res := Result{Form: f.id, Tool: f.tool}
	res.Job = clean(f.value(fJob, text), MaxJob)
	if res.Job == "" || strings.ContainsFunc(res.Job, unicode.IsControl) {
		return Result{}, false
	}
	if res.Status = f.status; res.Status == "" {
		s := f.value(fStatus, text)
		for _, rule := range f.statuses {
			if rule.match.MatchString(s) {
				res.Status = rule.status
				break
			}
		}
		if res.Status == "" {
			return Result{}, false
		}
	}
	if t := clean(f.value(fTool, text), maxTool); t != "" {
		res.Tool = t
	}
	if v := clean(f.value(fVersion, text), 40); v != "" {
		res.Tool = clean(res.Tool+" "+v, maxTool)
	}
	res.StartedAt, _ = parseTime(f.value(fStarted, text), f.layouts, loc)
	res.FinishedAt, _ = parseTime(f.value(fFinished, text), f.layouts, loc)
	if !res.StartedAt.IsZero() && !res.FinishedAt.IsZero() && res.StartedAt.After(res.FinishedAt) {
		res.StartedAt = time.Time{}
	}
	res.Duration, _ = parseDuration(f.value(fDuration, text))
	res.Bytes, _ = parseCount(f.value(fBytes, text), true)
	res.Files, _ = parseCount(f.value(fFiles, text), false)
	res.SnapshotID = clean(f.value(fSnapshot, text), maxSnapshot)
	if strings.ContainsFunc(res.SnapshotID, unicode.IsControl) {
		res.SnapshotID = ""
	}
	if res.Message = clean(f.value(fMessage, text), MaxText); res.Message == "" {
		res.Message = clean(text, MaxText)
	}
	return res, true
}

// clean makes s valid UTF-8 without NUL, trimmed, of at most n characters
// (cut with "…").
func clean(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.ContainsRune(s, 0) {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// parseTime reads s with the first layout that fits: "rfc3339", "unix"
// (seconds) or a Go layout read in loc. Years before 1990 or after 9999
// are refused.
func parseTime(s string, layouts []string, loc *time.Location) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range layouts {
		var t time.Time
		var err error
		switch l {
		case "rfc3339":
			t, err = time.Parse(time.RFC3339Nano, s)
		case "unix":
			var sec int64
			if sec, err = strconv.ParseInt(s, 10, 64); err == nil {
				if sec < 0 || sec > 253402300799 {
					continue
				}
				t = time.Unix(sec, 0)
			}
		default:
			t, err = time.ParseInLocation(l, s, loc)
		}
		if err == nil && t.Year() >= 1990 && t.Year() <= 9999 {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// maxDuration bounds the durations read: no backup runs for a year.
const maxDuration = 366 * 24 * time.Hour

// parseDuration reads "HH:MM:SS" (hours may pass 24), a Go duration
// ("42m10s") or seconds ("2530", "2530.5").
func parseDuration(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	var d time.Duration
	if parts := strings.Split(s, ":"); len(parts) == 3 {
		h, e1 := strconv.Atoi(parts[0])
		m, e2 := strconv.Atoi(parts[1])
		sec, e3 := strconv.Atoi(parts[2])
		if e1 != nil || e2 != nil || e3 != nil || h < 0 || h > 9000 || m < 0 || m > 59 || sec < 0 || sec > 59 {
			return 0, false
		}
		d = time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second
	} else if x, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(x) || x < 0 || x > maxDuration.Seconds() {
			return 0, false
		}
		d = time.Duration(x * float64(time.Second))
	} else if x, err := time.ParseDuration(s); err == nil {
		d = x
	} else {
		return 0, false
	}
	if d < 0 || d > maxDuration {
		return 0, false
	}
	return d, true
}

// sizeUnits are the units of byte counts: SI for KB…TB, binary for
// KiB…TiB and the one-letter K, M, G, T (as du and most backup tools
// print them).
var sizeUnits = map[string]float64{
	"": 1, "b": 1, "byte": 1, "bytes": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// grouped is a count written with thousands separators ("53,687,091,200").
var grouped = regexp.MustCompile(`^\d{1,3}(?:[,.' _]\d{3})+$`)

// parseCount reads a non-negative count: digits, with thousands
// separators; a byte count may also be a decimal number with a unit
// ("53.7 GB", "12GiB").
func parseCount(s string, bytes bool) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	i := strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune("0123456789,.' _", r) })
	num, unit := s, ""
	if i >= 0 {
		num, unit = strings.TrimSpace(s[:i]), strings.ToLower(strings.TrimSpace(s[i:]))
	}
	mult, ok := sizeUnits[unit]
	if num == "" || !ok || (!bytes && unit != "") {
		return 0, false
	}
	if grouped.MatchString(num) {
		num = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, num)
	} else if unit != "" && strings.Count(num, ",") == 1 && !strings.Contains(num, ".") {
		num = strings.Replace(num, ",", ".", 1) // a decimal comma: "12,5 GB"
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(x) || x < 0 {
		return 0, false
	}
	x *= mult
	if x >= math.MaxInt64 {
		return 0, false
	}
	return int64(x), true
}
