package warning

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"khien.vn/khien/internal/errs"
)

// MaxJSON is the largest warning document ParseWarningJSON reads.
const MaxJSON = 32 << 20

// vietnam is the zone of a date given without a time (ICT, UTC+7; Vietnam
// has no daylight saving time).
var vietnam = time.FixedZone("ICT", 7*3600)

// warningJSON is the document ParseWarningJSON reads.
type warningJSON struct {
	Ref        string   `json:"ref"`
	Issuer     string   `json:"issuer"`
	Title      string   `json:"title"`
	Summary    string   `json:"summary"`
	Severity   Severity `json:"severity"`
	IssuedAt   string   `json:"issued_at"`
	ReceivedAt string   `json:"received_at"`
	CVEs       []string `json:"cves"`
	Indicators []string `json:"indicators"`
	Actions    []Action `json:"actions"`
	ActionDue  string   `json:"action_due"`
	ReportDue  string   `json:"report_due"`
}

// ParseWarningJSON reads a warning from a JSON document of at most MaxJSON
// bytes, for import through the API:
//
//	{
//	  "ref": "1234/CATTT-NCSC",
//	  "issuer": "NCSC",
//	  "title": "Lỗ hổng nghiêm trọng CVE-2026-1234 trong sản phẩm X đang bị khai thác",
//	  "summary": "…",
//	  "severity": "critical",
//	  "issued_at": "2026-03-02",
//	  "received_at": "2026-03-02T08:15:00+07:00",
//	  "cves": ["CVE-2026-1234"],
//	  "indicators": ["203.0.113.7", "evil.example", "44d88612fea8a8f36de82e1278abb02f"],
//	  "actions": [{"kind": "patch", "text": "Cập nhật X lên 4.2.1"}],
//	  "action_due": "2026-03-09",
//	  "report_due": "2026-03-12"
//	}
//
// Only "title", "severity" and "action_due" are required (by Validate);
// unknown fields are refused. Times are RFC 3339, or a date alone
// (YYYY-MM-DD) in Vietnam time: the start of that day for issued_at and
// received_at, its end (23:59:59) for the deadlines action_due and
// report_due. An absent time is zero. Severities and action kinds are
// those of this package.
//
// The result has Source SourceImport and is not validated: the caller sets
// UnitID (and ReceivedAt when zero) and calls Validate. Errors are
// errs.ErrInvalid with a user-facing message.
func ParseWarningJSON(r io.Reader) (Warning, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxJSON+1))
	switch {
	case err != nil:
		return Warning{}, fmt.Errorf("read warning: %w", err)
	case len(b) > MaxJSON:
		return Warning{}, errs.Invalid("file", "err.too_large")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var doc warningJSON
	if err := dec.Decode(&doc); err != nil {
		return Warning{}, jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Warning{}, errs.Invalid("file", "err.json_syntax")
	}
	w := Warning{Ref: doc.Ref, Issuer: doc.Issuer, Title: doc.Title, Summary: doc.Summary, Severity: doc.Severity,
		CVEs: doc.CVEs, Indicators: doc.Indicators, Actions: doc.Actions, Source: SourceImport}
	if w.IssuedAt, err = parseTime("issued_at", doc.IssuedAt, false); err != nil {
		return Warning{}, err
	}
	if w.ReceivedAt, err = parseTime("received_at", doc.ReceivedAt, false); err != nil {
		return Warning{}, err
	}
	if w.ActionDue, err = parseTime("action_due", doc.ActionDue, true); err != nil {
		return Warning{}, err
	}
	if w.ReportDue, err = parseTime("report_due", doc.ReportDue, true); err != nil {
		return Warning{}, err
	}
	return w, nil
}

// jsonError turns a decoding error into a user-facing one.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "warning"
		}
		return errs.Invalid(field, "err.json_type", field)
	}
	return errs.Invalid("file", "err.json_syntax")
}

// parseTime reads an RFC 3339 time or a date in Vietnam time (its start,
// or its end when end is set). "" is the zero time.
func parseTime(field, s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, vietnam)
	if err != nil {
		return time.Time{}, errs.Invalid(field, "err.date")
	}
	if end {
		d = d.Add(24*time.Hour - time.Second)
	}
	return d, nil
}
