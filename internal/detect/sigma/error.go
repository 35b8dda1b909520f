package sigma

import (
	"errors"
	"fmt"
	"strings"

	"khien.vn/khien/internal/errs"
)

// Error is a problem with one rule (one YAML document): invalid YAML, an
// invalid rule, or a valid rule that uses something this package does
// not represent (Unsupported). Parse and LoadDir return *Error values,
// joined with errors.Join when there are several; use errors.As, or
// errors.Is with errors.ErrUnsupported or errs.ErrInvalid, to tell them
// apart.
type Error struct {
	// Path is the rule file ("" when parsing bytes without a name).
	Path string
	// Doc is the 0-based index of the YAML document in the file.
	Doc int
	// Line is the 1-based line in the file the problem is on, 0 if unknown.
	Line int
	// RuleID and Title name the rule, when the document gives them.
	RuleID string
	Title  string
	// Reason says what is wrong, e.g. `detection: selection: unknown
	// modifier "contain"`.
	Reason string
	// Unsupported is true when the rule is valid Sigma but uses a feature
	// this package does not represent (Sigma 1 aggregations, rule
	// collections, metric correlations…).
	Unsupported bool
}

// Error names the file, line and rule, then the reason:
//
//	rules/x.yml:12: rule "Whoami Execution" (id 8a1c…): detection: selection: unknown modifier "contain"
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Path != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.Path, e.Line)
	case e.Path != "":
		fmt.Fprintf(&b, "%s: ", e.Path)
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	switch {
	case e.Title != "" && e.RuleID != "":
		fmt.Fprintf(&b, "rule %q (id %s): ", e.Title, e.RuleID)
	case e.Title != "":
		fmt.Fprintf(&b, "rule %q: ", e.Title)
	case e.RuleID != "":
		fmt.Fprintf(&b, "rule id %s: ", e.RuleID)
	case e.Doc > 0 || e.Path != "":
		fmt.Fprintf(&b, "document %d: ", e.Doc)
	}
	if e.Unsupported {
		b.WriteString("unsupported: ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns errors.ErrUnsupported for an unsupported rule and
// errs.ErrInvalid otherwise.
func (e *Error) Unwrap() error {
	if e.Unsupported {
		return errors.ErrUnsupported
	}
	return errs.ErrInvalid
}

// problems collects the errors found in one document.
type problems struct {
	list []*Error
}

// add records a problem at line (0 if unknown).
func (p *problems) add(line int, format string, args ...any) {
	p.list = append(p.list, &Error{Line: line, Reason: fmt.Sprintf(format, args...)})
}

// unsupported records a valid construct this package does not represent.
func (p *problems) unsupported(line int, format string, args ...any) {
	p.list = append(p.list, &Error{Line: line, Reason: fmt.Sprintf(format, args...), Unsupported: true})
}

// addErr records e, prefixing its reason with prefix (if any).
func (p *problems) addErr(e *Error, prefix string) {
	if prefix != "" {
		e.Reason = prefix + ": " + e.Reason
	}
	p.list = append(p.list, e)
}
