package flatjson_test

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"khien.vn/khien/internal/ingest/flatjson"
)

// TestDifferential compares Decode with the reference on generated
// documents, valid ones and damaged copies of them.
func TestDifferential(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 500
	}
	r := rand.New(rand.NewPCG(1, 2))
	var d flatjson.Decoder
	for range n {
		var b strings.Builder
		g := generator{r: r, b: &b}
		g.object(0)
		line := []byte(b.String())
		checkAgainstReference(t, &d, line)
		// Damaged copies: a byte changed, removed or repeated, or the line cut.
		for range 3 {
			bad := append([]byte(nil), line...)
			k := r.IntN(len(bad))
			switch r.IntN(4) {
			case 0:
				const junk = `{}[]",:\ 0-.eE+tfnu`
				bad[k] = junk[r.IntN(len(junk))]
			case 1:
				bad = append(bad[:k], bad[k+1:]...)
			case 2:
				bad = append(bad[:k+1], bad[k:]...)
			default:
				bad = bad[:k]
			}
			checkAgainstReference(t, &d, bad)
		}
	}
}

// generator writes random JSON built from pieces that exercise the
// decoder: shared keys (duplicates, dotted collisions), escapes, invalid
// UTF-8, numbers of every form, arrays with objects, and white space.
type generator struct {
	r *rand.Rand
	b *strings.Builder
}

var (
	genKeys = []string{"a", "b", "host", "name", "", "a.b", `\u0061`, `k\"q`, "\xff", "é", `\ud800`, `\uFFFD`,
		"EventID", "CommandLine", "x y", `\/`}
	genStrings = []string{"", "plain", `C:\\Windows\\cmd.exe`, `\"\\\/\b\f\n\r\t`, `\u0041\u00e9\u4e2d`,
		`\ud83d\ude00`, `\ud800`, `\udc00x`, `\ud800\u0041`, `\ud800\ud800\udc00`, "\xff\xfe", "\xc3(", "Đăng nhập",
		"<a&b>", "\u2028\u2029", `\u2028`, `\u003c`, "\x7f", `\u0000\u001f`, strings.Repeat("long ", 20)}
	genNumbers = []string{"0", "-0", "1", "-12", "3.25", "1e5", "1E+5", "2.5e-3", "12345678901234567890", "0.0"}
)

func (g *generator) space() {
	if g.r.IntN(4) == 0 {
		g.b.WriteString([]string{" ", "\t", "\n", "\r\n ", "  "}[g.r.IntN(5)])
	}
}

func (g *generator) object(depth int) {
	g.b.WriteString("{")
	n := g.r.IntN(6)
	if depth == 0 {
		n += 1 + g.r.IntN(10)
	}
	large := depth < 2 && g.r.IntN(40) == 0 // more members than the Bloom filter handles
	if large {
		n = 50 + g.r.IntN(150)
	}
	for i := range n {
		if i > 0 {
			g.b.WriteString(",")
		}
		g.space()
		if large && g.r.IntN(3) > 0 {
			g.b.WriteString(`"k` + strconv.Itoa(g.r.IntN(120)) + `"`)
		} else {
			g.b.WriteString(`"` + genKeys[g.r.IntN(len(genKeys))] + `"`)
		}
		g.space()
		g.b.WriteString(":")
		g.space()
		g.value(depth + 1)
		g.space()
	}
	g.b.WriteString("}")
}

func (g *generator) value(depth int) {
	k := g.r.IntN(10)
	if depth > 4 && k >= 5 { // no more containers
		k = 0
	}
	switch k {
	case 0, 1, 2:
		g.b.WriteString(`"` + genStrings[g.r.IntN(len(genStrings))] + `"`)
	case 3:
		g.b.WriteString(genNumbers[g.r.IntN(len(genNumbers))])
	case 4:
		g.b.WriteString([]string{"true", "false", "null"}[g.r.IntN(3)])
	case 5, 6:
		g.object(depth)
	default:
		g.b.WriteString("[")
		for i := range g.r.IntN(4) {
			if i > 0 {
				g.b.WriteString(",")
			}
			g.space()
			g.value(depth + 1)
		}
		g.b.WriteString("]")
	}
}
