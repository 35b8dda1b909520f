// Package report renders format-neutral documents to DOCX and PDF, correctly
// for Vietnamese.
//
// A [Document] is a title block, an optional masthead ([Header]) and a
// sequence of [Block] values: [Heading], [Paragraph], [List], [Table],
// [KeyValue], [PageBreak] and [Signature]. Report definitions elsewhere in
// Khiên (the security-level dossier explanation, incident report forms,
// annual reports) build a Document; this package only lays it out:
//
//   - [WriteDOCX] writes WordprocessingML by hand (archive/zip and XML
//     written here, no third-party library) with Times New Roman, the usual
//     font of Vietnamese official documents, Heading 1–3 styles, bordered
//     tables whose header row repeats on every page, and a page-number
//     footer.
//   - [WritePDF] lays the document out on A4 with the margins of Vietnamese
//     administrative documents (top and bottom 20 mm, left 30 mm, right
//     15 mm) using github.com/go-pdf/fpdf and the embedded Noto Serif fonts
//     (SIL Open Font Licence 1.1, see fonts/OFL.txt), subset into the file.
//     Text wraps inside table cells and tables continue across pages with
//     their header row repeated.
//
// Both writers first clean every string the same way: invalid UTF-8 becomes
// U+FFFD, control characters other than newline and tab are dropped, and the
// text is normalised to Unicode NFC. Vietnamese text often arrives decomposed
// (NFD: a base letter followed by combining marks), which a PDF writer without
// a shaping engine would draw as loose marks; in NFC every Vietnamese letter
// is one precomposed code point with its own glyph in the font.
//
// Before a PDF is written, every rune that would be drawn is looked up in the
// cmap of the exact font face that draws it; a rune without a glyph makes
// [WritePDF] fail with a [*GlyphError] naming it, instead of producing a
// document with blank boxes ("tofu"). Nothing is written to the io.Writer
// when a writer returns an error.
//
// Writers are safe for concurrent use: they keep no state between calls.
package report
