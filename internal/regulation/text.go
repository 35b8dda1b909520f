package regulation

import (
	"fmt"
	"strings"
)

// Text is a piece of human-readable text in Vietnamese and English. Packs
// require both languages wherever a person reads the text.
type Text struct {
	VI string
	EN string
}

// In returns the text in lang ("vi" or "en"). Vietnamese, the language of the
// legal texts, is the fallback for any other value.
func (t Text) In(lang string) string {
	if lang == "en" {
		return t.EN
	}
	return t.VI
}

// IsZero reports whether both languages are empty.
func (t Text) IsZero() bool { return t.VI == "" && t.EN == "" }

// textf builds a Text from one format per language and the same arguments
// for both; an argument that is a Text is replaced by its text in the
// language being formatted.
func textf(vi, en string, args ...any) Text {
	return Text{VI: sprintfLang("vi", vi, args), EN: sprintfLang("en", en, args)}
}

func sprintfLang(lang, format string, args []any) string {
	local := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case Text:
			local[i] = v.In(lang)
		case []Text:
			parts := make([]string, len(v))
			for j, t := range v {
				parts[j] = t.In(lang)
			}
			local[i] = strings.Join(parts, ", ")
		default:
			local[i] = a
		}
	}
	return fmt.Sprintf(format, local...)
}

// joinTexts joins texts with sep in each language.
func joinTexts(ts []Text, sep string) Text {
	vi := make([]string, len(ts))
	en := make([]string, len(ts))
	for i, t := range ts {
		vi[i], en[i] = t.VI, t.EN
	}
	return Text{VI: strings.Join(vi, sep), EN: strings.Join(en, sep)}
}

// formatCount writes n with the thousands separator of lang: 10.000 in
// Vietnamese, 10,000 in English.
func formatCount(lang string, n int) string {
	sep := ","
	if lang == "vi" {
		sep = "."
	}
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// count is a number that formats with the separator of each language when
// passed to textf.
func count(n int) Text {
	return Text{VI: formatCount("vi", n), EN: formatCount("en", n)}
}

// Confirmation says how far an item of a pack has been checked against the
// original legal text.
type Confirmation string

// The confirmation statuses.
const (
	// Confirmed: read in the original text, an Official Gazette transcription
	// or a legal database that quotes it.
	Confirmed Confirmation = "confirmed"
	// PartiallyConfirmed: part of the item (its existence, its structure,
	// one condition) is confirmed, the rest is reconstructed.
	PartiallyConfirmed Confirmation = "partially_confirmed"
	// Secondary: taken from a reliable secondary source (government portal,
	// state press, law-firm note); the original was not read.
	Secondary Confirmation = "secondary"
	// Unconfirmed: reconstructed from cross-references or parallels; a
	// placeholder to verify before release.
	Unconfirmed Confirmation = "unconfirmed"
)

var confirmations = []string{string(Confirmed), string(PartiallyConfirmed), string(Secondary), string(Unconfirmed)}

// Valid reports whether c is one of the four statuses.
func (c Confirmation) Valid() bool {
	switch c {
	case Confirmed, PartiallyConfirmed, Secondary, Unconfirmed:
		return true
	}
	return false
}

// Label returns the status in words.
func (c Confirmation) Label() Text {
	switch c {
	case Confirmed:
		return Text{VI: "đã xác nhận", EN: "confirmed"}
	case PartiallyConfirmed:
		return Text{VI: "xác nhận một phần", EN: "partially confirmed"}
	case Secondary:
		return Text{VI: "nguồn thứ cấp", EN: "secondary source"}
	case Unconfirmed:
		return Text{VI: "chưa xác nhận", EN: "unconfirmed"}
	}
	return Text{VI: string(c), EN: string(c)}
}

// Source locates an item in a legal document: document, article (Điều),
// clause (khoản) and point (điểm), or a free-text Section where the document
// is not divided that way (an appendix, a form).
type Source struct {
	// Document is the id of one of the pack's source documents.
	Document string
	// Article, Clause are 0 when not given.
	Article int
	Clause  int
	// Point is a letter (a, b, c, d, đ, e, …), "" when not given.
	Point string
	// Section is a free-text locator, zero when not given.
	Section Text
	// Citation is the source in words, filled in by the loader:
	// "Điều 9 khoản 2 điểm c, Nghị định 85/2016/NĐ-CP" /
	// "Art. 9(2)(c), Decree 85/2016/ND-CP".
	Citation Text
}

// cite builds the citation of s given its document's short name.
func (s Source) cite(doc Text) Text {
	var vi, en []string
	if s.Article > 0 {
		v := fmt.Sprintf("Điều %d", s.Article)
		e := fmt.Sprintf("Art. %d", s.Article)
		if s.Clause > 0 {
			v += fmt.Sprintf(" khoản %d", s.Clause)
			e += fmt.Sprintf("(%d)", s.Clause)
			if s.Point != "" {
				v += " điểm " + s.Point
				e += "(" + s.Point + ")"
			}
		}
		vi, en = append(vi, v), append(en, e)
	}
	if !s.Section.IsZero() {
		vi, en = append(vi, s.Section.VI), append(en, s.Section.EN)
	}
	vi, en = append(vi, doc.VI), append(en, doc.EN)
	return Text{VI: strings.Join(vi, ", "), EN: strings.Join(en, ", ")}
}
