package sheet

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// fold reduces s to a form for matching headers and values: lower case,
// without diacritics (đ → d), every run of characters other than letters
// and digits turned into one space, trimmed. "Mã hệ thống", "MA HE THONG"
// and "ma_he_thong" all fold to "ma he thong".
func fold(s string) string {
	var b strings.Builder
	gap := false
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if r == 'đ' || r == 'Đ' {
			r = 'd'
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte(' ')
		}
		gap = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// clean returns a cell's text in NFC, with line breaks as "\n" and
// surrounding white space removed.
func clean(s string) string {
	if strings.ContainsRune(s, '\r') {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	return strings.TrimSpace(norm.NFC.String(s))
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// letter returns the spreadsheet letter of the 0-based column i: A, B, …,
// Z, AA, ….
func letter(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append(b, byte('A'+(i-1)%26))
	}
	for l, r := 0, len(b)-1; l < r; l, r = l+1, r-1 {
		b[l], b[r] = b[r], b[l]
	}
	return string(b)
}

func joinIDs(ids []string) string { return strings.Join(ids, ", ") }

func valueIDs(vs []Value) string {
	ids := make([]string, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	return joinIDs(ids)
}

// parseInt reads a whole number written plainly ("10000", "-3"), with
// thousands separators ("10.000", "10,000", "10 000") or with a zero
// fraction ("10000.0", as some tools write numbers).
func parseInt(s string) (int, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\u2009' {
			return -1
		}
		return r
	}, s)
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	if grouped(s) {
		n, err := strconv.Atoi(strings.NewReplacer(".", "", ",", "").Replace(s))
		return n, err == nil
	}
	if i := strings.IndexAny(s, ".,"); i > 0 && strings.Trim(s[i+1:], "0") == "" && len(s) > i+1 {
		n, err := strconv.Atoi(s[:i])
		return n, err == nil
	}
	return 0, false
}

// grouped reports whether s is digits in groups of three separated by one
// kind of separator, "." or ",": 10.000, 1,234,567.
func grouped(s string) bool {
	sep := strings.IndexAny(s, ".,")
	if sep < 1 || sep > 3 {
		return false
	}
	c := s[sep]
	parts := strings.Split(s, string(c))
	for i, p := range parts {
		if (i > 0 && len(p) != 3) || p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// bools maps the folded yes/no answers to their value.
var bools = map[string]bool{
	"yes": true, "y": true, "true": true, "1": true, "x": true, "co": true, "dung": true,
	"no": false, "n": false, "false": false, "0": false, "khong": false, "k": false, "sai": false,
}

func parseBool(s string) (v, ok bool) {
	v, ok = bools[fold(s)]
	if !ok && strings.TrimSpace(s) == "✓" {
		return true, true
	}
	return v, ok
}

// runes counts the characters of s.
func runes(s string) int { return utf8.RuneCountInString(s) }
