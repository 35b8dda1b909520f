package report

import (
	"embed"
	"fmt"
	"sync"

	"golang.org/x/image/font/sfnt"

	"khien.vn/khien/internal/errs"
)

// fontFiles holds the Noto Serif faces (static TTF, version 2.004, from
// Debian's fonts-noto-core) under the SIL Open Font Licence 1.1, whose text
// is fonts/OFL.txt next to them.
//
//go:embed fonts/NotoSerif-Regular.ttf fonts/NotoSerif-Bold.ttf fonts/NotoSerif-Italic.ttf fonts/NotoSerif-BoldItalic.ttf
var fontFiles embed.FS

// face is one of the four embedded font faces.
type face int

const (
	faceRegular face = iota
	faceBold
	faceItalic
	faceBoldItalic
	numFaces
)

// pdfFamily is the family name the faces are registered under in fpdf.
const pdfFamily = "NotoSerif"

// faceInfo describes each face: its file, its fpdf style and its full name.
var faceInfo = [numFaces]struct{ file, style, name string }{
	faceRegular:    {"fonts/NotoSerif-Regular.ttf", "", "Noto Serif Regular"},
	faceBold:       {"fonts/NotoSerif-Bold.ttf", "B", "Noto Serif Bold"},
	faceItalic:     {"fonts/NotoSerif-Italic.ttf", "I", "Noto Serif Italic"},
	faceBoldItalic: {"fonts/NotoSerif-BoldItalic.ttf", "BI", "Noto Serif Bold Italic"},
}

// Vertical metrics of Noto Serif (hhea, per 1,000 units per em), the same in
// all four faces: they place the baseline inside a line box.
const (
	fontAscent  = 1.069
	fontDescent = 0.293
)

func faceOf(bold, italic bool) face {
	switch {
	case bold && italic:
		return faceBoldItalic
	case bold:
		return faceBold
	case italic:
		return faceItalic
	}
	return faceRegular
}

// fontBytes returns the TTF file of f (a fresh copy).
func fontBytes(f face) ([]byte, error) {
	b, err := fontFiles.ReadFile(faceInfo[f].file)
	if err != nil {
		return nil, fmt.Errorf("report: read font %s: %w", faceInfo[f].name, err)
	}
	return b, nil
}

// parsedFonts parses the cmaps of the embedded faces once. The result is
// immutable; sfnt.Font methods are safe for concurrent use with one
// sfnt.Buffer per caller.
var parsedFonts = sync.OnceValues(func() ([numFaces]*sfnt.Font, error) {
	var fonts [numFaces]*sfnt.Font
	for f := range numFaces {
		b, err := fontBytes(f)
		if err != nil {
			return fonts, err
		}
		if fonts[f], err = sfnt.Parse(b); err != nil {
			return fonts, fmt.Errorf("report: parse font %s: %w", faceInfo[f].name, err)
		}
	}
	return fonts, nil
})

// GlyphError reports a rune that the font face drawing it has no glyph for;
// [WritePDF] returns it (wrapped with the place in the document) rather than
// print a blank box. It matches errs.ErrInvalid with errors.Is.
type GlyphError struct {
	Rune rune
	Font string // the face's full name, e.g. "Noto Serif Bold"
}

// Error implements error.
func (e *GlyphError) Error() string {
	return fmt.Sprintf("no glyph for %U %q in font %s", e.Rune, e.Rune, e.Font)
}

// Unwrap makes a GlyphError an errs.ErrInvalid.
func (e *GlyphError) Unwrap() error { return errs.ErrInvalid }

// glyphChecker looks runes up in the cmap of the face that will draw them.
// It is owned by one writer call and not safe for concurrent use.
type glyphChecker struct {
	fonts [numFaces]*sfnt.Font
	buf   sfnt.Buffer
	seen  [numFaces]map[rune]struct{}
}

func newGlyphChecker() (*glyphChecker, error) {
	fonts, err := parsedFonts()
	if err != nil {
		return nil, err
	}
	c := &glyphChecker{fonts: fonts}
	for f := range c.seen {
		c.seen[f] = make(map[rune]struct{}, 128)
	}
	return c, nil
}

// check returns a *GlyphError for the first rune of s that face f cannot draw.
func (c *glyphChecker) check(f face, s string) error {
	seen := c.seen[f]
	for _, r := range s {
		if _, ok := seen[r]; ok {
			continue
		}
		g, err := c.fonts[f].GlyphIndex(&c.buf, r)
		if err != nil {
			return fmt.Errorf("report: look up %U in font %s: %w", r, faceInfo[f].name, err)
		}
		if g == 0 {
			return &GlyphError{Rune: r, Font: faceInfo[f].name}
		}
		seen[r] = struct{}{}
	}
	return nil
}
