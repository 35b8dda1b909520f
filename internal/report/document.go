package report

import (
	"bytes"
	"fmt"
	"math"
	"time"

	"khien.vn/khien/internal/errs"
)

// Document is a format-neutral document: an optional masthead, a title block
// and a sequence of blocks. The zero value is an empty but valid document.
type Document struct {
	// Header is the masthead printed above the title.
	Header Header
	// Title is printed centred and bold; Subtitle below it, centred and
	// italic. Title is also the document title in the file's metadata.
	Title    string
	Subtitle string
	// Blocks is the body, in order.
	Blocks []Block
	// Meta is the file metadata and the language of generated labels.
	Meta Meta
}

// Header is the masthead of a Vietnamese administrative document (Decree
// 30/2020/NĐ-CP, Appendix I): the issuing organisation on the left and the
// national title and motto on the right, each line centred in its column with
// a short rule under the last line. Left lines are upper case by convention:
// an optional governing body first, then the issuing organisation, which is
// printed bold (the last line). Right lines are all printed bold, typically
// "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and "Độc lập - Tự do - Hạnh phúc".
// When only one side has lines, they are centred across the page.
type Header struct {
	Left  []string
	Right []string
}

// Meta is the document's metadata.
type Meta struct {
	// Author is recorded as the creator (DOCX dc:creator, PDF /Author).
	Author string
	// Created is the creation time recorded in the file, and the modification
	// time of the DOCX zip entries; the zero time means now. Setting it makes
	// the output byte-for-byte reproducible.
	Created time.Time
	// Language is "vi" (the default when empty) or "en". It selects the
	// language tag of the file and of generated labels such as "Trang 2".
	Language string
}

// Block is one element of a document body: a [Heading], [Paragraph], [List],
// [Table], [KeyValue], [PageBreak] or [Signature].
type Block interface{ isBlock() }

// Align is the horizontal alignment of a paragraph.
type Align int

// Alignments. The zero value is AlignLeft.
const (
	AlignLeft Align = iota
	AlignCenter
	AlignRight
	// AlignJustify stretches every line but the last of each paragraph (and
	// the line before each explicit line break) to both margins, as the body
	// text of Vietnamese administrative documents is set.
	AlignJustify
)

// Heading is a section heading of level 1 to 3. Numbering, if any, is part of
// Text ("1.", "1.2.", "a)"); it is not generated.
type Heading struct {
	Level int
	Text  string
}

// Paragraph is a run of text in one style. A newline in Text starts a new
// line within the paragraph; a tab is kept in DOCX and becomes a space in PDF.
type Paragraph struct {
	Text   string
	Bold   bool
	Italic bool
	Align  Align
}

// List is a bulleted (with "–", as Vietnamese documents do) or numbered
// ("1.", "2.", …, restarting for each list) list of one-paragraph items.
type List struct {
	Items   []string
	Ordered bool
}

// Table is a bordered table with an optional header row, printed bold on a
// grey background and repeated at the top of every page the table spans.
// Rows may have different lengths; the table has as many columns as its
// longest row (or header) and short rows are padded with empty cells.
type Table struct {
	Header []string
	Rows   [][]string
	// Widths optionally gives the relative width of each column (for example
	// {1, 3, 2}); it must then have one positive entry per column. Nil means
	// equal widths.
	Widths []float64
}

// KeyValue is a two-column table of label: value pairs, the labels bold, for
// the identification part of a dossier (system name, owner, level, …).
type KeyValue struct {
	Pairs [][2]string
}

// PageBreak starts a new page.
type PageBreak struct{}

// Signature is the signature block of an administrative document, centred in
// the right half of the page: "Place, Date" in italics, the signer's Role in
// bold, room for the signature and seal, then the Name in bold. Date is text
// as it should appear, for example the result of [DateVI].
type Signature struct {
	Place string
	Date  string
	Role  string
	Name  string
}

func (Heading) isBlock()   {}
func (Paragraph) isBlock() {}
func (List) isBlock()      {}
func (Table) isBlock()     {}
func (KeyValue) isBlock()  {}
func (PageBreak) isBlock() {}
func (Signature) isBlock() {}

// DateVI formats t as the date line of a Vietnamese administrative document,
// "ngày 05 tháng 02 năm 2026": days below 10 and the months January and
// February take a leading zero (Decree 30/2020/NĐ-CP, Appendix I).
func DateVI(t time.Time) string {
	month := fmt.Sprint(int(t.Month()))
	if t.Month() <= time.February {
		month = "0" + month
	}
	return fmt.Sprintf("ngày %02d tháng %s năm %d", t.Day(), month, t.Year())
}

// validate reports the first structural problem of d, wrapped in
// errs.ErrInvalid. Text content is never invalid: it is cleaned instead.
func (d *Document) validate() error {
	switch d.Meta.Language {
	case "", "vi", "en":
	default:
		return fmt.Errorf("report: meta: language %q is not \"vi\" or \"en\": %w", d.Meta.Language, errs.ErrInvalid)
	}
	for i, b := range d.Blocks {
		if err := validateBlock(b); err != nil {
			return fmt.Errorf("report: block %d: %w", i, err)
		}
	}
	return nil
}

func validateBlock(b Block) error {
	switch b := b.(type) {
	case Heading:
		if b.Level < 1 || b.Level > 3 {
			return fmt.Errorf("heading level %d not in 1..3: %w", b.Level, errs.ErrInvalid)
		}
	case Paragraph:
		if b.Align < AlignLeft || b.Align > AlignJustify {
			return fmt.Errorf("unknown alignment %d: %w", b.Align, errs.ErrInvalid)
		}
	case Table:
		if b.Widths != nil {
			if n := b.columns(); len(b.Widths) != n {
				return fmt.Errorf("table has %d columns but %d widths: %w", n, len(b.Widths), errs.ErrInvalid)
			}
			var sum float64
			for _, w := range b.Widths {
				if !(w > 0) || math.IsInf(w, 0) {
					return fmt.Errorf("table width %v is not a positive number: %w", w, errs.ErrInvalid)
				}
				sum += w
			}
			if math.IsInf(sum, 0) {
				return fmt.Errorf("table widths overflow: %w", errs.ErrInvalid)
			}
		}
	case List, KeyValue, PageBreak, Signature:
	case nil:
		return fmt.Errorf("nil block: %w", errs.ErrInvalid)
	default:
		return fmt.Errorf("unknown block type %T: %w", b, errs.ErrInvalid)
	}
	return nil
}

// columns is the number of columns of t: its longest row or header.
func (t *Table) columns() int {
	n := len(t.Header)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	return n
}

// fractions returns the relative width of each of n columns, summing to 1.
func (t *Table) fractions(n int) []float64 {
	f := make([]float64, n)
	if t.Widths == nil {
		for i := range f {
			f[i] = 1 / float64(n)
		}
		return f
	}
	var sum float64
	for _, w := range t.Widths {
		sum += w
	}
	for i, w := range t.Widths {
		f[i] = w / sum
	}
	return f
}

// cells returns row padded to n cells.
func cells(row []string, n int) []string {
	if len(row) >= n {
		return row
	}
	out := make([]string, n)
	copy(out, row)
	return out
}

// labels are the texts the writers generate themselves, per language.
type labels struct {
	lang string // BCP 47 tag written into the files
	page string // before the page number in the footer
}

func (m Meta) labels() labels {
	if m.Language == "en" {
		return labels{lang: "en-US", page: "Page "}
	}
	return labels{lang: "vi-VN", page: "Trang "}
}

func (m Meta) created() time.Time {
	if m.Created.IsZero() {
		return time.Now()
	}
	return m.Created
}

// Content types of the formats Render writes.
const (
	ContentTypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	ContentTypePDF  = "application/pdf"
)

// Render writes d in format "docx" or "pdf" and returns the bytes with
// their content type; any other format is an ErrInvalid error.
func Render(format string, d Document) ([]byte, string, error) {
	var buf bytes.Buffer
	switch format {
	case "docx":
		err := WriteDOCX(&buf, d)
		return buf.Bytes(), ContentTypeDOCX, err
	case "pdf":
		err := WritePDF(&buf, d)
		return buf.Bytes(), ContentTypePDF, err
	}
	return nil, "", errs.Invalid("format", "err.format")
}
