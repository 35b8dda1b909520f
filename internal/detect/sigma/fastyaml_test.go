package sigma

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dumpNode prints a node tree with lines, for comparing the two readers.
func dumpNode(b *strings.Builder, n *node, indent string) {
	if n == nil {
		b.WriteString(indent + "<nil>\n")
		return
	}
	switch n.kind {
	case mapNode:
		fmt.Fprintf(b, "%smap@%d\n", indent, n.line)
		for _, e := range n.entries {
			fmt.Fprintf(b, "%s  %q@%d:\n", indent, e.key, e.line)
			dumpNode(b, e.val, indent+"    ")
		}
	case seqNode:
		fmt.Fprintf(b, "%sseq@%d\n", indent, n.line)
		for _, it := range n.items {
			dumpNode(b, it, indent+"  ")
		}
	default:
		fmt.Fprintf(b, "%s%d %q@%d\n", indent, n.val.Kind, n.val.Raw, n.line)
	}
}

func dumpTree(n *node) string {
	var b strings.Builder
	dumpNode(&b, n, "")
	return b.String()
}

// slowParse reads a chunk with goccy/go-yaml only.
func slowParse(text []byte, line int) (*node, error) {
	roots, err := parseChunk(text, line)
	if err != nil {
		return nil, err
	}
	switch len(roots) {
	case 0:
		return nil, nil
	case 1:
		return roots[0], nil
	}
	return nil, fmt.Errorf("%d documents in one chunk", len(roots))
}

// checkSameAsSlow fails if the fast reader accepts text and builds a
// tree different from goccy/go-yaml's.
func checkSameAsSlow(t *testing.T, text []byte, line int) (fast bool) {
	t.Helper()
	got, ok := fastParse(text, line)
	if !ok {
		return false
	}
	want, err := slowParse(text, line)
	if err != nil {
		t.Fatalf("fast reader accepts what goccy/go-yaml rejects (%v):\n%s", err, text)
	}
	if g, w := dumpTree(got), dumpTree(want); g != w {
		t.Fatalf("fast and full readers differ on\n%s\nfast:\n%s\nfull:\n%s", text, g, w)
	}
	return true
}

func TestFastYAML(t *testing.T) {
	for _, src := range []string{
		"a: 1\nb: 'x''y'\nc: \"q\\\\z\\n\"\nd:\ne: ~\nf: True\ng: 0x10\nh: 1.50\ni: .inf\nj: yes\n",
		"a:\n  - x\n  - 'y'\n  - k: v\n    l: w\n  -\n    m: n\nb: c\n",
		"a:\n- x\n- y\nb: 2\n",
		"description: |\n    line one\n      indented\n\n    # not a comment\n\n\nnext: 1\n",
		"description: |\n  x\n  y\n",
		"'|contains': x\n\"a b\": c\n",
		"---\n# comment\nk: v # trailing\nl: 'v' # trailing\n",
		"a: b #c\nd: e#f\ng: http://x/y\nh: C:\\Windows\\x.exe\n",
		"sel:\n    Image|endswith:\n        - '\\cmd.exe'\n        - \\pwsh.exe\n    CommandLine|contains|all:\n        - ' -enc '\n        - ' -w hidden'\n",
		"a:\n  b:\n    c:\n      - 1\n      - 2\n  d: 3\n",
		"k: \n",
		"- a\n- b\n",
	} {
		if !checkSameAsSlow(t, []byte(src), 1) {
			t.Errorf("fast reader does not read\n%s", src)
		}
	}
	for _, src := range []string{
		"a: &x 1\nb: *x\n",
		"a: [1, 2]\n",
		"a: {b: 1}\n",
		"a: !!str 1\n",
		"a: >\n  folded\n",
		"a: |-\n  stripped\n",
		"a: multi\n  line\n",
		"a: 'multi\n  line'\n",
		"a:\tb\n",
		"a: 1\r\nb: 2\r\n",
		"<<: {a: 1}\n",
		"? a\n: b\n",
		"a: 1\na: 2\n",
		"a: \"\\x41\"\n",
		"%YAML 1.2\n---\na: 1\n",
		"--- a: 1\n",
		"a: b: c\n",
	} {
		if _, ok := fastParse([]byte(src), 1); ok {
			t.Errorf("fast reader should leave to the full parser:\n%s", src)
		}
	}
}

// TestFastYAMLSigmaHQ compares the two readers on every SigmaHQ rule.
func TestFastYAMLSigmaHQ(t *testing.T) {
	root := filepath.Join("..", "..", "..", "..", "shared", "testdata", "sigmahq")
	if _, err := os.Stat(filepath.Join(root, "rules")); err != nil {
		t.Skipf("SigmaHQ rules not found at %s (shared test data, not part of this repository)", root)
	}
	var files, fast int
	var slow []string
	for _, sub := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		err := filepath.WalkDir(filepath.Join(root, sub), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yml") {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files++
			all := true
			for _, c := range splitDocuments(data) {
				if !checkSameAsSlow(t, c.text, c.line) {
					all = false
				}
			}
			if all {
				fast++
			} else {
				slow = append(slow, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d of %d files read by the fast reader", fast, files)
	for i, p := range slow {
		if i == 20 {
			t.Logf("…")
			break
		}
		t.Logf("full parser: %s", p)
	}
}

// FuzzFastYAML checks that, whenever the fast reader accepts a document,
// goccy/go-yaml reads it too and into the same tree.
func FuzzFastYAML(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb: 'x''y'\nc: \"q\\\\z\"\nd:\ne: ~\n",
		"a:\n  - x\n  - k: v\n    l: w\n  -\n    m: n\nb: c\n",
		"a:\n- x\n- y\nb: 2\n",
		"description: |\n    line one\n      indented\n\n    # not a comment\nnext: 1\n",
		"description: |-\n  x\n",
		"'|contains': x\n\"a b\": c\n",
		"---\n# comment\nk: v # trailing\n",
		"sel:\n    Image|endswith:\n        - '\\cmd.exe'\n        - \\pwsh.exe\n",
		"- a\n- b: c\n  d: e\n",
		"a: True\nb: 0x1F\nc: .NaN\nd: -.inf\ne: 1_0\nf: null\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range splitDocuments(data) {
			checkSameAsSlow(t, c.text, c.line)
		}
	})
}
