package report

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
)

// Page geometry in millimetres: A4 with the margins of Vietnamese
// administrative documents (Decree 30/2020/NĐ-CP, Appendix I: top and bottom
// 20–25 mm, left 30–35 mm, right 15–20 mm).
const (
	pageW        = 210.0
	pageH        = 297.0
	marginTop    = 20.0
	marginBottom = 20.0
	marginLeft   = 30.0
	marginRight  = 15.0
	textW        = pageW - marginLeft - marginRight
	bodyH        = pageH - marginTop - marginBottom
	footerBase   = pageH - 10.0 // baseline of the page number
)

// Type sizes in points. Noto Serif has a larger x-height than Times New Roman
// (0.536 against 0.448 em), so 12 pt here reads like the 13–14 pt Times New
// Roman of the DOCX and of the decree.
const (
	sizeBody     = 12.0
	sizeTitle    = 14.0
	sizeSubtitle = 12.0
	sizeMasthead = 11.0
	sizeTable    = 11.0
	sizeFooter   = 9.0
	leading      = 1.4 // line height as a multiple of the type size
	ptToMM       = 25.4 / 72
	cellPad      = 1.5 // mm inside table cells
	listIndent   = 8.0 // mm from the margin to the text of a list item
)

var headingSize = [4]float64{0, 13, 12, 12}

// WritePDF renders d as an A4 PDF to w. Fonts are subset and embedded; see the
// package documentation for the text cleaning and glyph checks. On error
// nothing has been written to w.
func WritePDF(w io.Writer, d Document) error {
	if err := d.validate(); err != nil {
		return err
	}
	p, err := newPDFWriter(d.Meta)
	if err != nil {
		return err
	}
	if err := p.document(&d); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := p.f.Output(&buf); err != nil {
		return fmt.Errorf("report: write pdf: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: write pdf: %w", err)
	}
	return nil
}

// pdfWriter lays a document out on fpdf pages. It tracks the vertical
// position itself (y, in mm from the top) and breaks pages itself, so that
// tables can repeat their header and blocks can be kept together.
type pdfWriter struct {
	f      *fpdf.Fpdf
	glyphs *glyphChecker
	added  [numFaces]bool
	face   face
	size   float64
	y      float64
	lb     labels
	bmLvl  int   // level of the previous bookmark, to keep the outline nested
	err    error // first error; later drawing is skipped
}

func newPDFWriter(m Meta) (*pdfWriter, error) {
	g, err := newGlyphChecker()
	if err != nil {
		return nil, err
	}
	f := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"})
	f.SetMargins(marginLeft, marginTop, marginRight)
	f.SetAutoPageBreak(false, marginBottom)
	f.SetCellMargin(0)
	f.SetCatalogSort(true) // deterministic output for a given Created time
	created := m.created()
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetCreator("Khiên", true)
	f.SetProducer("Khiên", true)
	if m.Author != "" {
		f.SetAuthor(clean(m.Author), true)
	}
	p := &pdfWriter{f: f, glyphs: g, lb: m.labels(), bmLvl: -1}
	f.SetLang(p.lb.lang)
	f.SetFooterFunc(p.footer)
	return p, nil
}

func (p *pdfWriter) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// setFont selects face fc at size pt, registering the face on first use.
func (p *pdfWriter) setFont(fc face, size float64) {
	if !p.added[fc] {
		b, err := fontBytes(fc)
		if err != nil {
			p.fail(err)
			return
		}
		p.f.AddUTF8FontFromBytes(pdfFamily, faceInfo[fc].style, b)
		p.added[fc] = true
	}
	p.face, p.size = fc, size
	p.f.SetFont(pdfFamily, faceInfo[fc].style, size)
}

// checked reports whether every rune of s has a glyph in the current face,
// recording the error otherwise.
func (p *pdfWriter) checked(s string) bool {
	if p.err != nil {
		return false
	}
	if err := p.glyphs.check(p.face, s); err != nil {
		p.fail(err)
		return false
	}
	return true
}

func lineHeight(size float64) float64 { return size * ptToMM * leading }

// baseline is the offset of the baseline from the top of a line box.
func baseline(size float64) float64 {
	em := size * ptToMM
	return (lineHeight(size)-(fontAscent+fontDescent)*em)/2 + fontAscent*em
}

func (p *pdfWriter) newPage() {
	p.f.AddPage()
	p.y = marginTop
}

func (p *pdfWriter) room() float64 { return pageH - marginBottom - p.y }

// need starts a new page unless h millimetres fit on this one or the page is
// still empty.
func (p *pdfWriter) need(h float64) {
	if h > p.room()+1e-6 && p.y > marginTop+1e-6 {
		p.newPage()
	}
}

func (p *pdfWriter) footer() {
	fc, size := p.face, p.size
	p.setFont(faceRegular, sizeFooter)
	s := p.lb.page + strconv.Itoa(p.f.PageNo())
	if p.checked(s) {
		p.f.Text(marginLeft+(textW-p.f.GetStringWidth(s))/2, footerBase, s)
	}
	p.setFont(fc, size)
}

func (p *pdfWriter) document(d *Document) error {
	p.setFont(faceRegular, sizeBody)
	p.newPage()
	if d.Title != "" {
		p.f.SetTitle(clean(d.Title), true)
	}
	p.masthead(d.Header)
	if d.Title != "" || d.Subtitle != "" {
		if p.y > marginTop {
			p.y += 6
		}
		p.text(clean(d.Title), faceBold, sizeTitle, AlignCenter, marginLeft, textW)
		p.text(clean(d.Subtitle), faceItalic, sizeSubtitle, AlignCenter, marginLeft, textW)
		p.y += 6
	}
	if p.err != nil {
		return fmt.Errorf("report: title: %w", p.err)
	}
	for i, b := range d.Blocks {
		p.block(b)
		if p.err != nil {
			return fmt.Errorf("report: block %d: %w", i, p.err)
		}
	}
	if err := p.f.Error(); err != nil {
		return fmt.Errorf("report: lay out pdf: %w", err)
	}
	return nil
}

func (p *pdfWriter) block(b Block) {
	switch b := b.(type) {
	case Heading:
		p.heading(b)
	case Paragraph:
		p.text(clean(b.Text), faceOf(b.Bold, b.Italic), sizeBody, b.Align, marginLeft, textW)
		p.y += 2
	case List:
		p.list(b)
	case Table:
		n := b.columns()
		rows := make([][]string, len(b.Rows))
		for i, r := range b.Rows {
			rows[i] = cells(r, n)
		}
		var header []string
		if len(b.Header) > 0 {
			header = cells(b.Header, n)
		}
		p.table(header, rows, b.fractions(n), false)
	case KeyValue:
		rows := make([][]string, len(b.Pairs))
		for i, kv := range b.Pairs {
			rows[i] = kv[:]
		}
		p.table(nil, rows, []float64{0.35, 0.65}, true)
	case PageBreak:
		p.newPage()
	case Signature:
		p.signature(b)
	}
}

// pdfLine is one laid-out line: its words and their widths.
type pdfLine struct {
	words  []string
	widths []float64
	width  float64 // natural width, words joined by single spaces
	last   bool    // last line before a hard break or the end: never justified
}

func (l *pdfLine) String() string { return strings.Join(l.words, " ") }

// wrap breaks s (clean text) into lines no wider than width in the current
// face, at spaces; a word wider than a whole line is broken between runes.
// It checks glyph coverage first and returns nil on failure.
func (p *pdfWriter) wrap(s string, width float64) []pdfLine {
	s = strings.ReplaceAll(s, "\t", " ")
	if !p.checked(strings.ReplaceAll(s, "\n", "")) {
		return nil
	}
	space := p.f.GetStringWidth(" ")
	var lines []pdfLine
	for _, seg := range strings.Split(s, "\n") {
		var cur pdfLine
		flush := func() {
			lines = append(lines, cur)
			cur = pdfLine{}
		}
		add := func(word string, ww float64) {
			if len(cur.words) > 0 {
				cur.width += space
			}
			cur.words = append(cur.words, word)
			cur.widths = append(cur.widths, ww)
			cur.width += ww
		}
		for _, word := range strings.Split(seg, " ") {
			if word == "" {
				continue
			}
			ww := p.f.GetStringWidth(word)
			if len(cur.words) > 0 && cur.width+space+ww > width {
				flush()
			}
			if ww > width {
				// A word wider than a line: break it between runes.
				for ww > width && word != "" {
					head, hw := p.splitWord(word, width)
					add(head, hw)
					flush()
					word = word[len(head):]
					ww -= hw
				}
				ww = p.f.GetStringWidth(word)
			}
			if word != "" {
				add(word, ww)
			}
		}
		cur.last = true
		flush()
	}
	return lines
}

// splitWord returns the longest prefix of word no wider than avail, but at
// least its first rune, and the prefix's width.
func (p *pdfWriter) splitWord(word string, avail float64) (head string, width float64) {
	end := 0
	for i, r := range word {
		rw := p.f.GetStringWidth(string(r))
		if width+rw > avail && i > 0 {
			break
		}
		width += rw
		end = i + utf8.RuneLen(r)
	}
	return word[:end], width
}

// drawLine draws l with its top at p.y in the box [x, x+width).
func (p *pdfWriter) drawLine(l *pdfLine, x, width float64, align Align) {
	if len(l.words) == 0 {
		return
	}
	base := p.y + baseline(p.size)
	switch {
	case align == AlignJustify && !l.last && len(l.words) > 1:
		var sum float64
		for _, w := range l.widths {
			sum += w
		}
		gap := (width - sum) / float64(len(l.words)-1)
		for i, w := range l.words {
			p.f.Text(x, base, w)
			x += l.widths[i] + gap
		}
		return
	case align == AlignCenter:
		x += (width - l.width) / 2
	case align == AlignRight:
		x += width - l.width
	}
	p.f.Text(x, base, l.String())
}

// text lays s out as a paragraph in face fc at size pt within [x, x+width),
// breaking pages between lines.
func (p *pdfWriter) text(s string, fc face, size float64, align Align, x, width float64) {
	if s == "" || p.err != nil {
		return
	}
	p.setFont(fc, size)
	lh := lineHeight(size)
	for _, l := range p.wrap(s, width) {
		p.need(lh)
		p.drawLine(&l, x, width, align)
		p.y += lh
	}
}

func (p *pdfWriter) heading(h Heading) {
	fc := faceBold
	if h.Level == 3 {
		fc = faceBoldItalic
	}
	size := headingSize[h.Level]
	s := clean(h.Text)
	p.y += 3
	// Keep the heading with the first lines of what follows.
	p.setFont(fc, size)
	lines := len(p.wrap(s, textW))
	p.need(float64(lines)*lineHeight(size) + 2*lineHeight(sizeBody))
	lvl := min(h.Level-1, p.bmLvl+1)
	if s != "" && p.err == nil {
		p.f.Bookmark(s, lvl, p.y)
		p.bmLvl = lvl
	}
	p.text(s, fc, size, AlignLeft, marginLeft, textW)
	p.y += 1.5
}

func (p *pdfWriter) list(l List) {
	lh := lineHeight(sizeBody)
	for i, item := range l.Items {
		marker := "–"
		if l.Ordered {
			marker = strconv.Itoa(i+1) + "."
		}
		p.setFont(faceRegular, sizeBody)
		lines := p.wrap(clean(item), textW-listIndent)
		if !p.checked(marker) {
			return
		}
		if len(lines) == 0 {
			lines = []pdfLine{{last: true}}
		}
		for j, ln := range lines {
			p.need(lh)
			if j == 0 {
				mw := p.f.GetStringWidth(marker)
				p.f.Text(marginLeft+listIndent-1.5-mw, p.y+baseline(sizeBody), marker)
			}
			p.drawLine(&ln, marginLeft+listIndent, textW-listIndent, AlignLeft)
			p.y += lh
		}
		p.y += 0.8
	}
	p.y += 1.2
}

// row is a laid-out table row: each cell's lines and face.
type row struct {
	lines [][]pdfLine
	faces []face
	fill  bool
	n     int // lines of the tallest cell, at least 1
}

func rowHeight(lines int) float64 { return float64(lines)*lineHeight(sizeTable) + 2*cellPad }

func (p *pdfWriter) layoutRow(cells []string, colW []float64, fc func(col int) face, fill bool) row {
	r := row{lines: make([][]pdfLine, len(cells)), faces: make([]face, len(cells)), fill: fill, n: 1}
	for i, c := range cells {
		r.faces[i] = fc(i)
		p.setFont(r.faces[i], sizeTable)
		r.lines[i] = p.wrap(clean(c), colW[i]-2*cellPad)
		r.n = max(r.n, len(r.lines[i]))
	}
	return r
}

// drawRow draws lines [from, to) of r as one band of bordered cells at p.y.
func (p *pdfWriter) drawRow(r *row, colW []float64, from, to int, align Align) {
	h := rowHeight(to - from)
	x := marginLeft
	lh := lineHeight(sizeTable)
	for i, lines := range r.lines {
		style := "D"
		if r.fill {
			style = "FD"
		}
		p.f.Rect(x, p.y, colW[i], h, style)
		p.setFont(r.faces[i], sizeTable)
		y := p.y
		p.y += cellPad
		for j := from; j < to && j < len(lines); j++ {
			p.drawLine(&lines[j], x+cellPad, colW[i]-2*cellPad, align)
			p.y += lh
		}
		p.y = y
		x += colW[i]
	}
	p.y += h
}

// table draws a bordered table whose header row (if any) repeats at the top
// of every page it continues on. Rows that do not fit on the rest of a page
// move to the next; a row taller than a whole page is split between lines.
func (p *pdfWriter) table(header []string, rows [][]string, fractions []float64, boldFirst bool) {
	if len(fractions) == 0 || p.err != nil {
		return
	}
	colW := make([]float64, len(fractions))
	for i, f := range fractions {
		colW[i] = f * textW
	}
	p.f.SetDrawColor(0, 0, 0)
	p.f.SetLineWidth(0.2)
	var head *row
	if header != nil {
		p.f.SetFillColor(217, 217, 217)
		h := p.layoutRow(header, colW, func(int) face { return faceBold }, true)
		head = &h
	}
	body := make([]row, len(rows))
	for i, r := range rows {
		body[i] = p.layoutRow(r, colW, func(col int) face {
			if boldFirst && col == 0 {
				return faceBold
			}
			return faceRegular
		}, false)
	}
	if p.err != nil {
		return
	}
	// A header taller than a third of the page is not repeated.
	repeat := head != nil && rowHeight(head.n) <= bodyH/3
	headH := 0.0
	if repeat {
		headH = rowHeight(head.n)
	}
	p.y += 1
	if head != nil {
		first := 0.0
		if len(body) > 0 {
			first = rowHeight(min(body[0].n, 2))
		}
		p.need(rowHeight(head.n) + first)
		p.splitRow(head, colW, AlignCenter, nil, 0)
	}
	cont := func() {
		p.newPage()
		if repeat {
			p.drawRow(head, colW, 0, head.n, AlignCenter)
		}
	}
	for i := range body {
		p.splitRow(&body[i], colW, AlignLeft, cont, headH)
	}
	p.y += 3
}

// splitRow draws r, continuing on new pages as needed through cont, which
// starts a page and draws the repeated header, contH millimetres tall (a plain
// new page when cont is nil). A row that does not fit on the rest of a page
// moves to the next; a row taller than a whole page is split between lines.
func (p *pdfWriter) splitRow(r *row, colW []float64, align Align, cont func(), contH float64) {
	if cont == nil {
		cont, contH = p.newPage, 0
	}
	fresh := bodyH - contH
	// topOfPage: nothing but a repeated header on this page yet.
	topOfPage := func() bool { return p.y <= marginTop+contH+1e-6 }
	from := 0
	for from < r.n && p.err == nil {
		rest := rowHeight(r.n - from)
		if rest <= p.room()+1e-6 {
			p.drawRow(r, colW, from, r.n, align)
			return
		}
		if rest <= fresh+1e-6 && !topOfPage() {
			cont()
			continue
		}
		k := int(math.Floor((p.room() - 2*cellPad + 1e-6) / lineHeight(sizeTable)))
		if k < 1 {
			if !topOfPage() {
				cont()
				continue
			}
			// Unreachable with the limit on repeated headers, but never
			// loop: draw one line past the margin.
			k = 1
		}
		k = min(k, r.n-from)
		p.drawRow(r, colW, from, from+k, align)
		from += k
		if from < r.n {
			cont()
		}
	}
}

func (p *pdfWriter) signature(s Signature) {
	placeDate := clean(strings.Join(nonEmpty(s.Place, s.Date), ", "))
	x, w := marginLeft+textW/2, textW/2
	lh := lineHeight(sizeBody)
	h := 3*lh + 22
	p.y += 4
	p.need(h)
	p.text(placeDate, faceItalic, sizeBody, AlignCenter, x, w)
	p.text(clean(s.Role), faceBold, sizeBody, AlignCenter, x, w)
	p.y += 22
	p.text(clean(s.Name), faceBold, sizeBody, AlignCenter, x, w)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// masthead draws the two-column header of an administrative document.
func (p *pdfWriter) masthead(h Header) {
	if len(h.Left) == 0 && len(h.Right) == 0 {
		return
	}
	type column struct {
		lines []string
		x, w  float64
		bold  func(i, n int) bool
		rule  float64 // rule length as a fraction of the last line's width
	}
	leftBold := func(i, n int) bool { return i == n-1 }
	allBold := func(int, int) bool { return true }
	var cols []column
	switch {
	case len(h.Right) == 0:
		cols = []column{{h.Left, marginLeft, textW, leftBold, 0.4}}
	case len(h.Left) == 0:
		cols = []column{{h.Right, marginLeft, textW, allBold, 1}}
	default:
		lw := textW * 0.45
		cols = []column{
			{h.Left, marginLeft, lw, leftBold, 0.4},
			{h.Right, marginLeft + lw, textW - lw, allBold, 1},
		}
	}
	top, bottom := p.y, p.y
	for _, c := range cols {
		p.y = top
		var lastW float64
		for i, s := range c.lines {
			fc := faceRegular
			if c.bold(i, len(c.lines)) {
				fc = faceBold
			}
			s = clean(s)
			p.text(s, fc, sizeMasthead, AlignCenter, c.x, c.w)
			if i == len(c.lines)-1 {
				for _, l := range p.wrap(s, c.w) {
					lastW = l.width
				}
			}
		}
		if lastW > 0 {
			rl := lastW * c.rule
			y := p.y + 0.6
			p.f.SetLineWidth(0.3)
			p.f.Line(c.x+(c.w-rl)/2, y, c.x+(c.w+rl)/2, y)
			p.y = y + 1
		}
		bottom = max(bottom, p.y)
	}
	p.y = bottom
}
