package cpe

import (
	"errors"
	"fmt"
	"strings"
)

// The logical values of an attribute, as the formatted string writes them.
const (
	Any = "*" // any value
	NA  = "-" // not applicable
)

// Name is a CPE 2.3 name or match criteria: the attributes of a well-formed
// name, each written as the formatted-string binding writes it (see the
// package documentation): a canonically quoted lower-case value, Any or NA.
type Name struct {
	Part      string // "a" application, "o" operating system, "h" hardware, or Any
	Vendor    string
	Product   string
	Version   string
	Update    string
	Edition   string
	Language  string
	SWEdition string
	TargetSW  string
	TargetHW  string
	Other     string
}

// attrNames are the attribute names of a Name, in binding order.
var attrNames = [11]string{"part", "vendor", "product", "version", "update", "edition", "language", "sw_edition",
	"target_sw", "target_hw", "other"}

// attrs returns pointers to n's attributes, in binding order.
func (n *Name) attrs() [11]*string {
	return [11]*string{&n.Part, &n.Vendor, &n.Product, &n.Version, &n.Update, &n.Edition, &n.Language, &n.SWEdition,
		&n.TargetSW, &n.TargetHW, &n.Other}
}

// String returns n as a CPE 2.3 formatted string; an empty attribute is
// written as Any.
func (n Name) String() string {
	var b strings.Builder
	b.WriteString("cpe:2.3")
	for _, v := range n.attrs() {
		b.WriteByte(':')
		if *v == "" {
			b.WriteString(Any)
			continue
		}
		b.WriteString(*v)
	}
	return b.String()
}

// ErrMalformed is wrapped by every error Parse returns.
var ErrMalformed = errors.New("malformed CPE")

// ParseError describes a string Parse refuses: the input (cut to 200
// bytes), the attribute at fault ("" for the string as a whole) and why.
type ParseError struct {
	Input string
	Attr  string
	Msg   string
}

// Error says what is malformed: the input, the attribute and why.
func (e *ParseError) Error() string {
	if e.Attr == "" {
		return fmt.Sprintf("cpe: malformed %q: %s", e.Input, e.Msg)
	}
	return fmt.Sprintf("cpe: malformed %q: %s: %s", e.Input, e.Attr, e.Msg)
}

// Unwrap returns ErrMalformed.
func (e *ParseError) Unwrap() error { return ErrMalformed }

// Parse reads a CPE 2.3 formatted string (NISTIR 7695 §6.2):
// "cpe:2.3:" and eleven colon-separated attributes, with "\" quoting,
// Any ("*") and NA ("-"), wildcards "*" and "?" only at the start or end of
// a value. Values are lower-cased and re-quoted canonically.
func Parse(s string) (Name, error) {
	fail := func(attr, format string, args ...any) (Name, error) {
		in := s
		if len(in) > 200 {
			in = strings.ToValidUTF8(in[:200], "") + "…"
		}
		return Name{}, &ParseError{Input: in, Attr: attr, Msg: fmt.Sprintf(format, args...)}
	}
	if strings.HasPrefix(s, "cpe:/") {
		return fail("", "a CPE 2.2 URI; only CPE 2.3 formatted strings (cpe:2.3:…) are read")
	}
	rest, ok := strings.CutPrefix(s, "cpe:2.3:")
	if !ok {
		return fail("", `want the prefix "cpe:2.3:"`)
	}
	parts, err := splitFS(rest)
	if err != nil {
		return fail("", "%s", err.Error())
	}
	if len(parts) != 11 {
		return fail("", "%d attributes, want 11 (part:vendor:product:version:update:edition:language:sw_edition:target_sw:target_hw:other)", len(parts))
	}
	var n Name
	for i, p := range n.attrs() {
		v, err := canonical(parts[i])
		if err != nil {
			return fail(attrNames[i], "%s", err.Error())
		}
		*p = v
	}
	switch n.Part {
	case "a", "o", "h", Any:
	default:
		return fail("part", "%q, want a, o, h or *", n.Part)
	}
	return n, nil
}

// splitFS splits the attributes of a formatted string at the colons that
// are not quoted.
func splitFS(s string) ([]string, error) {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 == len(s) {
				return nil, errors.New(`ends with a lone "\"`)
			}
			i++
		case ':':
			out = append(out, s[start:i])
			start = i + 1
			if len(out) > 11 {
				return out, nil // the count is reported
			}
		}
	}
	return append(out, s[start:]), nil
}

// unreserved reports whether c may appear unquoted in a value.
func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// canonical checks one attribute of a formatted string and returns it
// lower-cased, quoting only the characters that need it. Wildcards may
// open and close a value: "*" or a run of "?" at either end.
func canonical(v string) (string, error) {
	switch v {
	case "":
		return "", errors.New("empty value (write * for any)")
	case Any, NA:
		return v, nil
	}
	var b strings.Builder
	b.Grow(len(v))
	i := 0
	if v[0] == '*' {
		b.WriteByte('*')
		i = 1
	} else {
		for i < len(v) && v[i] == '?' {
			b.WriteByte('?')
			i++
		}
	}
	literal := 0 // characters of the value proper, not wildcards
	for ; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\':
			if i+1 == len(v) {
				return "", errors.New(`ends with a lone "\"`)
			}
			i++
			q := v[i]
			if q < 0x21 || q > 0x7e {
				return "", fmt.Errorf("quoted character %q is not printable ASCII", q)
			}
			if !unreserved(q) || q == '-' && len(v) == 2 {
				b.WriteByte('\\')
			}
			b.WriteByte(lower(q))
			literal++
		case c == '*' || c == '?':
			rest := v[i:]
			if rest != "*" && strings.Trim(rest, "?") != "" {
				return "", fmt.Errorf("unquoted %q inside the value %q: wildcards only open or close a value (quote it as \\%c)", c, v, c)
			}
			if literal == 0 {
				return "", fmt.Errorf("%q has only wildcards", v)
			}
			b.WriteString(rest)
			i = len(v)
		case unreserved(c):
			b.WriteByte(lower(c))
			literal++
		default:
			return "", fmt.Errorf("character %q must be quoted with \\ in %q", c, v)
		}
	}
	if literal == 0 {
		return "", fmt.Errorf("%q has only wildcards", v)
	}
	return b.String(), nil
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Quote returns text as an attribute value: lower-cased, spaces (and
// anything not printable ASCII) as "_", every character other than letters,
// digits, "_", "." and "-" quoted (and a lone "-" quoted, which would be NA).
// "" gives Any.
func Quote(text string) string {
	if text == "" {
		return Any
	}
	var b strings.Builder
	b.Grow(len(text) + 4)
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c < 0x21 || c > 0x7e:
			b.WriteByte('_') // spaces become "_", as in NVD's names; so do controls and non-ASCII bytes
		case unreserved(c) && !(c == '-' && len(text) == 1):
			b.WriteByte(lower(c))
		default:
			b.WriteByte('\\')
			b.WriteByte(lower(c))
		}
	}
	return b.String()
}

// Unquote returns the text of an attribute value: its quoting removed
// (wildcards and the logical values are returned as they are).
func Unquote(v string) string {
	if strings.IndexByte(v, '\\') < 0 {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// VendorProduct returns the unquoted, lower-cased vendor and product of a
// formatted string without checking the rest: the cheap key used to index
// many criteria. ok is false when s is not "cpe:2.3:" with at least five
// attributes, or the vendor or product is a logical value or a wildcard.
func VendorProduct(s string) (vendor, product string, ok bool) {
	rest, found := strings.CutPrefix(s, "cpe:2.3:")
	if !found {
		return "", "", false
	}
	var fields [3]string
	n, start := 0, 0
	for i := 0; i < len(rest) && n < 3; i++ {
		switch rest[i] {
		case '\\':
			i++
		case ':':
			fields[n] = rest[start:i]
			n++
			start = i + 1
		}
	}
	if n < 3 {
		return "", "", false
	}
	for _, f := range fields[1:] {
		if f == "" || f == Any || f == NA || strings.ContainsAny(f, "*?") && wildRaw(f) {
			return "", "", false
		}
	}
	return strings.ToLower(Unquote(fields[1])), strings.ToLower(Unquote(fields[2])), true
}

// wildRaw reports whether the raw value f has an unquoted wildcard.
func wildRaw(f string) bool {
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		}
	}
	return false
}
