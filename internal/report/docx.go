package report

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// DOCX geometry in twentieths of a point (twips): A4 and the same margins as
// the PDF (1 mm = 56.69 twips).
const (
	twipsPageW   = 11906
	twipsPageH   = 16838
	twipsTop     = 1134 // 20 mm
	twipsBottom  = 1134 // 20 mm
	twipsLeft    = 1701 // 30 mm
	twipsRight   = 850  // 15 mm
	twipsTextW   = twipsPageW - twipsLeft - twipsRight
	twipsHalf    = twipsTextW / 2
	docxFont     = "Times New Roman"
	docxBodySize = 26 // half-points: 13 pt
)

// WriteDOCX renders d as a Word document (Office Open XML,
// WordprocessingML) to w. The text is set in Times New Roman, which the
// reader's system supplies; no font is embedded. On error nothing has been
// written to w.
func WriteDOCX(w io.Writer, d Document) error {
	if err := d.validate(); err != nil {
		return err
	}
	lb := d.Meta.labels()
	created := d.Meta.created().UTC().Truncate(time.Second)

	var body xmlBuf
	nums := docxBody(&body, &d)

	parts := []struct{ name, data string }{
		{"[Content_Types].xml", contentTypesXML},
		{"_rels/.rels", rootRelsXML},
		{"docProps/core.xml", coreXML(&d, lb, created)},
		{"docProps/app.xml", appXML},
		{"word/_rels/document.xml.rels", documentRelsXML},
		{"word/document.xml", xmlHeader + `<w:document ` + wordNS + `><w:body>` + body.String() + sectPrXML + `</w:body></w:document>`},
		{"word/styles.xml", stylesXML(lb)},
		{"word/numbering.xml", numberingXML(nums)},
		{"word/settings.xml", settingsXML},
		{"word/footer1.xml", footerXML(lb)},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: created})
		if err != nil {
			return fmt.Errorf("report: write docx %s: %w", p.name, err)
		}
		if _, err := io.WriteString(f, p.data); err != nil {
			return fmt.Errorf("report: write docx %s: %w", p.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("report: write docx: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: write docx: %w", err)
	}
	return nil
}

// xmlBuf builds XML text; text and attribute values go through esc.
type xmlBuf struct{ strings.Builder }

func (b *xmlBuf) raw(ss ...string) {
	for _, s := range ss {
		b.WriteString(s)
	}
}

// esc writes s (clean text: no control characters but LF and tab) escaped
// for XML character data or a double-quoted attribute value.
func (b *xmlBuf) esc(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		case '\n':
			rep = "&#xA;"
		case '\t':
			rep = "&#x9;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(rep)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// paraProps are the paragraph properties docx writes, in schema order.
type paraProps struct {
	style    string
	keepNext bool
	numID    int // list numbering instance; 0 = none
	before   int // spacing before, twips; -1 = style default
	after    int // spacing after, twips; -1 = style default
	indLeft  int // left indent, twips
	jc       string
	border   string // a w:pBdr child, e.g. for the masthead rules
}

func (b *xmlBuf) pPr(p paraProps) {
	b.raw("<w:pPr>")
	if p.style != "" {
		b.raw(`<w:pStyle w:val="`, p.style, `"/>`)
	}
	if p.keepNext {
		b.raw("<w:keepNext/>")
	}
	if p.numID > 0 {
		b.raw(`<w:numPr><w:ilvl w:val="0"/><w:numId w:val="`, strconv.Itoa(p.numID), `"/></w:numPr>`)
	}
	if p.border != "" {
		b.raw("<w:pBdr>", p.border, "</w:pBdr>")
	}
	if p.before >= 0 || p.after >= 0 {
		b.raw("<w:spacing")
		if p.before >= 0 {
			b.raw(` w:before="`, strconv.Itoa(p.before), `"`)
		}
		if p.after >= 0 {
			b.raw(` w:after="`, strconv.Itoa(p.after), `"`)
		}
		b.raw("/>")
	}
	if p.indLeft > 0 {
		b.raw(`<w:ind w:left="`, strconv.Itoa(p.indLeft), `"/>`)
	}
	if p.jc != "" {
		b.raw(`<w:jc w:val="`, p.jc, `"/>`)
	}
	b.raw("</w:pPr>")
}

// runs writes s (clean text) as runs in the given style; newlines become
// w:br and tabs w:tab.
func (b *xmlBuf) runs(s string, bold, italic bool) {
	if s == "" {
		return
	}
	rPr := ""
	switch {
	case bold && italic:
		rPr = "<w:rPr><w:b/><w:bCs/><w:i/><w:iCs/></w:rPr>"
	case bold:
		rPr = "<w:rPr><w:b/><w:bCs/></w:rPr>"
	case italic:
		rPr = "<w:rPr><w:i/><w:iCs/></w:rPr>"
	}
	b.raw("<w:r>", rPr)
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.raw("<w:br/>")
		}
		for j, part := range strings.Split(line, "\t") {
			if j > 0 {
				b.raw("<w:tab/>")
			}
			if part != "" {
				b.raw(`<w:t xml:space="preserve">`)
				b.esc(part)
				b.raw("</w:t>")
			}
		}
	}
	b.raw("</w:r>")
}

// para writes one paragraph.
func (b *xmlBuf) para(p paraProps, text string, bold, italic bool) {
	b.raw("<w:p>")
	b.pPr(p)
	b.runs(text, bold, italic)
	b.raw("</w:p>")
}

func props(style string) paraProps { return paraProps{style: style, before: -1, after: -1} }

var jcOf = [...]string{AlignLeft: "left", AlignCenter: "center", AlignRight: "right", AlignJustify: "both"}

// docxBody writes the body of d and returns the number of ordered lists,
// each of which gets its own numbering instance so that it restarts at 1.
func docxBody(b *xmlBuf, d *Document) (orderedLists int) {
	docxMasthead(b, d.Header)
	if d.Title != "" {
		b.para(props("Title"), clean(d.Title), false, false)
	}
	if d.Subtitle != "" {
		b.para(props("Subtitle"), clean(d.Subtitle), false, false)
	}
	for _, blk := range d.Blocks {
		switch blk := blk.(type) {
		case Heading:
			b.para(props("Heading"+strconv.Itoa(blk.Level)), clean(blk.Text), false, false)
		case Paragraph:
			p := props("")
			p.jc = jcOf[blk.Align]
			b.para(p, clean(blk.Text), blk.Bold, blk.Italic)
		case List:
			p := props("ListParagraph")
			p.numID = 1
			if blk.Ordered {
				orderedLists++
				p.numID = 1 + orderedLists
			}
			for _, it := range blk.Items {
				b.para(p, clean(it), false, false)
			}
		case Table:
			n := blk.columns()
			if n == 0 {
				continue
			}
			var header []string
			if len(blk.Header) > 0 {
				header = cells(blk.Header, n)
			}
			rows := make([][]string, len(blk.Rows))
			for i, r := range blk.Rows {
				rows[i] = cells(r, n)
			}
			docxTable(b, header, rows, blk.fractions(n), false, true)
		case KeyValue:
			if len(blk.Pairs) == 0 {
				continue
			}
			rows := make([][]string, len(blk.Pairs))
			for i, kv := range blk.Pairs {
				rows[i] = kv[:]
			}
			docxTable(b, nil, rows, []float64{0.35, 0.65}, true, true)
		case PageBreak:
			b.raw(`<w:p><w:r><w:br w:type="page"/></w:r></w:p>`)
		case Signature:
			docxSignature(b, blk)
		}
	}
	return orderedLists
}

// gridWidths turns fractions of the text width into twips that add up to it.
func gridWidths(fractions []float64) []int {
	w := make([]int, len(fractions))
	sum := 0
	for i, f := range fractions {
		w[i] = max(1, int(math.Round(f*twipsTextW)))
		sum += w[i]
	}
	w[len(w)-1] = max(1, w[len(w)-1]+twipsTextW-sum)
	return w
}

const (
	borderSingle = `w:val="single" w:sz="4" w:space="0" w:color="000000"`
	borderNone   = `w:val="nil"`
)

// docxTable writes a table with its header row (if any) marked to repeat on
// every page.
func docxTable(b *xmlBuf, header []string, rows [][]string, fractions []float64, boldFirst, borders bool) {
	widths := gridWidths(fractions)
	bd := borderNone
	if borders {
		bd = borderSingle
	}
	b.raw(`<w:tbl><w:tblPr><w:tblW w:w="`, strconv.Itoa(twipsTextW), `" w:type="dxa"/><w:tblBorders>`)
	for _, side := range []string{"top", "left", "bottom", "right", "insideH", "insideV"} {
		b.raw("<w:", side, " ", bd, "/>")
	}
	b.raw(`</w:tblBorders><w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="85" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar><w:tblLook w:val="0000"/></w:tblPr><w:tblGrid>`)
	for _, w := range widths {
		b.raw(`<w:gridCol w:w="`, strconv.Itoa(w), `"/>`)
	}
	b.raw("</w:tblGrid>")
	row := func(cells []string, head bool) {
		b.raw("<w:tr>")
		if head {
			b.raw("<w:trPr><w:tblHeader/></w:trPr>")
		}
		for i, c := range cells {
			b.raw(`<w:tc><w:tcPr><w:tcW w:w="`, strconv.Itoa(widths[i]), `" w:type="dxa"/>`)
			if head {
				b.raw(`<w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/>`)
			}
			b.raw("</w:tcPr>")
			p := props("TableText")
			if head {
				// Keep the header row with the first body row.
				p.jc, p.keepNext = "center", true
			}
			b.para(p, clean(c), head || boldFirst && i == 0, false)
			b.raw("</w:tc>")
		}
		b.raw("</w:tr>")
	}
	if header != nil {
		row(header, true)
	}
	for _, r := range rows {
		row(r, false)
	}
	b.raw("</w:tbl>")
	// Word merges adjacent tables; a paragraph keeps them apart.
	b.para(paraProps{before: 0, after: 0}, "", false, false)
}

// docxMasthead writes the two-column header as a borderless table.
func docxMasthead(b *xmlBuf, h Header) {
	if len(h.Left) == 0 && len(h.Right) == 0 {
		return
	}
	type column struct {
		lines    []string
		width    int
		boldAll  bool
		ruleFrac float64 // rule length as a fraction of the column
	}
	var cols []column
	switch {
	case len(h.Right) == 0:
		cols = []column{{h.Left, twipsTextW, false, 0.2}}
	case len(h.Left) == 0:
		cols = []column{{h.Right, twipsTextW, true, 0.4}}
	default:
		lw := twipsTextW * 9 / 20
		cols = []column{{h.Left, lw, false, 0.35}, {h.Right, twipsTextW - lw, true, 0.62}}
	}
	b.raw(`<w:tbl><w:tblPr><w:tblW w:w="`, strconv.Itoa(twipsTextW), `" w:type="dxa"/><w:tblBorders>`)
	for _, side := range []string{"top", "left", "bottom", "right", "insideH", "insideV"} {
		b.raw("<w:", side, " ", borderNone, "/>")
	}
	b.raw(`</w:tblBorders><w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar><w:tblLook w:val="0000"/></w:tblPr><w:tblGrid>`)
	for _, c := range cols {
		b.raw(`<w:gridCol w:w="`, strconv.Itoa(c.width), `"/>`)
	}
	b.raw("</w:tblGrid><w:tr>")
	for _, c := range cols {
		b.raw(`<w:tc><w:tcPr><w:tcW w:w="`, strconv.Itoa(c.width), `" w:type="dxa"/></w:tcPr>`)
		for i, s := range c.lines {
			p := props("Masthead")
			b.para(p, clean(s), c.boldAll || i == len(c.lines)-1, false)
		}
		// The short rule under the last line: an empty paragraph, indented
		// from both sides, with a top border.
		ind := int(float64(c.width) * (1 - c.ruleFrac) / 2)
		b.raw(`<w:p><w:pPr><w:pStyle w:val="Masthead"/><w:pBdr><w:top `, borderSingle, `/></w:pBdr>`,
			`<w:ind w:left="`, strconv.Itoa(ind), `" w:right="`, strconv.Itoa(ind), `"/></w:pPr></w:p>`)
		b.raw("</w:tc>")
	}
	b.raw("</w:tr></w:tbl>")
	b.para(paraProps{before: 0, after: 0}, "", false, false)
}

// docxSignature writes the signature block centred in the right half,
// kept together on one page.
func docxSignature(b *xmlBuf, s Signature) {
	p := paraProps{keepNext: true, before: 0, after: 0, indLeft: twipsHalf, jc: "center"}
	first := p
	first.before = 240
	b.para(first, clean(strings.Join(nonEmpty(s.Place, s.Date), ", ")), false, true)
	b.para(p, clean(s.Role), true, false)
	for range 4 {
		b.para(p, "", false, false)
	}
	p.keepNext = false
	b.para(p, clean(s.Name), true, false)
}

const (
	xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	wordNS    = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`

	contentTypesXML = xmlHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>` +
		`<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>` +
		`<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>` +
		`<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>` +
		`<Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>` +
		`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
		`<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>` +
		`</Types>`

	rootRelsXML = xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
		`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>` +
		`</Relationships>`

	documentRelsXML = xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/>` +
		`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>` +
		`<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/>` +
		`</Relationships>`

	appXML = xmlHeader + `<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">` +
		`<Application>Khiên</Application></Properties>`

	settingsXML = xmlHeader + `<w:settings ` + wordNS + `><w:defaultTabStop w:val="720"/>` +
		`<w:characterSpacingControl w:val="doNotCompress"/><w:compat><w:compatSetting w:name="compatibilityMode" ` +
		`w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat></w:settings>`

	sectPrXML = `<w:sectPr><w:footerReference w:type="default" r:id="rId4"/>` +
		`<w:pgSz w:w="11906" w:h="16838"/>` +
		`<w:pgMar w:top="1134" w:right="850" w:bottom="1134" w:left="1701" w:header="567" w:footer="567" w:gutter="0"/>` +
		`</w:sectPr>`
)

func coreXML(d *Document, lb labels, created time.Time) string {
	var b xmlBuf
	b.raw(xmlHeader, `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" `,
		`xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" `,
		`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`)
	b.raw("<dc:title>")
	b.esc(clean(d.Title))
	b.raw("</dc:title><dc:creator>")
	b.esc(clean(d.Meta.Author))
	b.raw("</dc:creator><dc:language>", lb.lang, "</dc:language>")
	ts := created.Format("2006-01-02T15:04:05Z")
	b.raw(`<dcterms:created xsi:type="dcterms:W3CDTF">`, ts, `</dcterms:created>`)
	b.raw(`<dcterms:modified xsi:type="dcterms:W3CDTF">`, ts, `</dcterms:modified>`)
	b.raw("</cp:coreProperties>")
	return b.String()
}

func stylesXML(lb labels) string {
	font := `<w:rFonts w:ascii="` + docxFont + `" w:hAnsi="` + docxFont + `" w:eastAsia="` + docxFont + `" w:cs="` + docxFont + `"/>`
	size := func(halfPts int) string {
		s := strconv.Itoa(halfPts)
		return `<w:sz w:val="` + s + `"/><w:szCs w:val="` + s + `"/>`
	}
	para := func(id, name, basedOn, pPr, rPr string) string {
		s := `<w:style w:type="paragraph" w:styleId="` + id + `"><w:name w:val="` + name + `"/>`
		if basedOn != "" {
			s += `<w:basedOn w:val="` + basedOn + `"/><w:next w:val="Normal"/>`
		}
		s += `<w:qFormat/>`
		if pPr != "" {
			s += "<w:pPr>" + pPr + "</w:pPr>"
		}
		if rPr != "" {
			s += "<w:rPr>" + rPr + "</w:rPr>"
		}
		return s + "</w:style>"
	}
	var b strings.Builder
	b.WriteString(xmlHeader + `<w:styles ` + wordNS + `>`)
	b.WriteString(`<w:docDefaults><w:rPrDefault><w:rPr>` + font + size(docxBodySize) +
		`<w:lang w:val="` + lb.lang + `" w:eastAsia="` + lb.lang + `" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>` +
		`<w:pPrDefault><w:pPr><w:spacing w:before="0" w:after="120" w:line="288" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>`)
	b.WriteString(`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>`)
	b.WriteString(`<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont"><w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/></w:style>`)
	b.WriteString(`<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:semiHidden/>` +
		`<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>` +
		`<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>`)
	b.WriteString(para("Title", "Title", "Normal", `<w:keepNext/><w:spacing w:before="240" w:after="60"/><w:jc w:val="center"/>`, `<w:b/><w:bCs/>`+size(28)))
	b.WriteString(para("Subtitle", "Subtitle", "Normal", `<w:keepNext/><w:spacing w:after="240"/><w:jc w:val="center"/>`, `<w:i/><w:iCs/>`))
	b.WriteString(para("Heading1", "heading 1", "Normal", `<w:keepNext/><w:keepLines/><w:spacing w:before="240" w:after="120"/><w:outlineLvl w:val="0"/>`, `<w:b/><w:bCs/>`+size(28)))
	b.WriteString(para("Heading2", "heading 2", "Normal", `<w:keepNext/><w:keepLines/><w:spacing w:before="180" w:after="120"/><w:outlineLvl w:val="1"/>`, `<w:b/><w:bCs/>`))
	b.WriteString(para("Heading3", "heading 3", "Normal", `<w:keepNext/><w:keepLines/><w:spacing w:before="120" w:after="60"/><w:outlineLvl w:val="2"/>`, `<w:b/><w:bCs/><w:i/><w:iCs/>`))
	b.WriteString(para("ListParagraph", "List Paragraph", "Normal", `<w:spacing w:after="60"/><w:ind w:left="454" w:hanging="284"/>`, ""))
	b.WriteString(para("TableText", "Table Text", "Normal", `<w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/>`, size(24)))
	b.WriteString(para("Masthead", "Masthead", "Normal", `<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/><w:jc w:val="center"/>`, size(24)))
	b.WriteString(para("Footer", "footer", "Normal", `<w:spacing w:after="0"/><w:jc w:val="center"/>`, size(20)))
	b.WriteString(`</w:styles>`)
	return b.String()
}

// numberingXML defines the bullet list (numId 1, an en dash as Vietnamese
// documents use) and one decimal instance per ordered list (numId 2…), each
// restarting at 1.
func numberingXML(ordered int) string {
	lvl := func(format, text string) string {
		var b xmlBuf
		b.raw(`<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="`, format, `"/><w:lvlText w:val="`)
		b.esc(text)
		b.raw(`"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="454" w:hanging="284"/></w:pPr></w:lvl>`)
		return b.String()
	}
	var b strings.Builder
	b.WriteString(xmlHeader + `<w:numbering ` + wordNS + `>`)
	b.WriteString(`<w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="singleLevel"/>` + lvl("bullet", "–") + `</w:abstractNum>`)
	b.WriteString(`<w:abstractNum w:abstractNumId="1"><w:multiLevelType w:val="singleLevel"/>` + lvl("decimal", "%1.") + `</w:abstractNum>`)
	b.WriteString(`<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>`)
	for i := range ordered {
		b.WriteString(`<w:num w:numId="` + strconv.Itoa(i+2) + `"><w:abstractNumId w:val="1"/>` +
			`<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>`)
	}
	b.WriteString(`</w:numbering>`)
	return b.String()
}

// footerXML is the page-number footer: the label, then a PAGE field.
func footerXML(lb labels) string {
	var b xmlBuf
	b.raw(xmlHeader, `<w:ftr `, wordNS, `><w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr>`)
	b.runs(lb.page, false, false)
	b.raw(`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>`,
		`<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>`,
		`</w:p></w:ftr>`)
	return b.String()
}
