package oscal

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // UUID version 5 is defined over SHA-1 (RFC 9562 §5.5); not a security use
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"khien.vn/khien/internal/errs"
)

// tokenPattern is OSCAL's token datatype (an XML NCName): ids, names and
// classes.
var tokenPattern = regexp.MustCompile(`^[\p{L}_][\p{L}\p{N}.\-_]*$`)

// uuidPattern is OSCAL 1.1.2's UUID datatype: version 4 or 5, RFC 4122
// variant.
var uuidPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$`)

// anyUUIDPattern accepts a UUID of any version, as older OSCAL documents
// and other tools write them.
var anyUUIDPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// sha256Pattern is a SHA-256 digest in hexadecimal.
var sha256Pattern = regexp.MustCompile(`^[0-9A-Fa-f]{64}$`)

// IsToken reports whether s is a valid OSCAL token (usable as a control,
// group or part id): a letter or '_' followed by letters, digits, '.', '-'
// or '_'.
func IsToken(s string) bool { return tokenPattern.MatchString(s) }

// uuidSpaceURL is the RFC 4122 name space for URLs.
var uuidSpaceURL = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// khienSpace is the name space of every UUID this package derives: the
// version 5 UUID of Namespace in the URL name space.
var khienSpace = uuidV5Bytes(uuidSpaceURL, Namespace)

func uuidV5Bytes(space [16]byte, name string) [16]byte {
	h := sha1.New() //nolint:gosec // see import
	h.Write(space[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u
}

func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:16])
	return string(b[:])
}

// uuidFor derives a stable UUID from parts of a name; the parts are joined
// with a separator that cannot occur in ids.
func uuidFor(parts ...string) string {
	return formatUUID(uuidV5Bytes(khienSpace, strings.Join(parts, "\x1f")))
}

// stamp formats t as an OSCAL date-time: UTC, whole seconds. The 1.1.2
// schemas' pattern rejects fractional seconds and years outside 1900–2999.
func stamp(what string, t time.Time) (string, error) {
	u := t.UTC()
	if y := u.Year(); y < 1900 || y > 2999 {
		return "", fmt.Errorf("%s %s: year outside 1900–2999: %w", what, t.Format(time.RFC3339), errs.ErrInvalid)
	}
	return u.Truncate(time.Second).Format("2006-01-02T15:04:05Z"), nil
}

// encode writes v as indented JSON without HTML escaping, ending in a
// newline.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode oscal json: %w", err)
	}
	return buf.Bytes(), nil
}

// oneLine collapses runs of white space into single spaces and trims the
// ends, giving a value that matches OSCAL's string datatype (no leading,
// trailing or line-breaking white space); "" stays "".
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// kprop returns a Khiên prop; class may be "".
func kprop(name, class, value string) Property {
	return Property{Name: name, NS: Namespace, Class: class, Value: oneLine(value)}
}

// props collects props, leaving out those with an empty value.
type props []Property

func (ps *props) add(p Property) {
	if p.Value != "" {
		*ps = append(*ps, p)
	}
}

func (ps *props) k(name, value string) { ps.add(kprop(name, "", value)) }

func (ps *props) kc(name, class, value string) { ps.add(kprop(name, class, value)) }

func (ps *props) kint(name string, v int) { ps.k(name, strconv.Itoa(v)) }

// levelClass is the class that ties a prop to a level ("level-3").
func levelClass(level int) string { return "level-" + strconv.Itoa(level) }

// otherLang returns the language that is not lang.
func otherLang(lang string) string {
	if lang == "en" {
		return "vi"
	}
	return "en"
}
