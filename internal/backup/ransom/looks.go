package ransom

import (
	"path"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Class is what a sample of content looks like.
type Class uint8

// The classes, from the least to the most worrying. EncryptedLike feeds
// the content signals of [Compare], and so does Dense when the file's
// name promises a format whose magic number is gone (Verdict.Mismatch).
const (
	// Undecided: too few bytes to say anything (see Options.MinSampleBytes).
	Undecided Class = iota
	// PlainText: UTF-8 or UTF-16 text (prose, CSV, JSON, source code, logs).
	PlainText
	// KnownFormat: a recognised format by its magic number (Verdict.Format).
	KnownFormat
	// Binary: an unrecognised binary of ordinary entropy (executables,
	// databases, legacy-encoded text, proprietary formats).
	Binary
	// Dense: high entropy without a known magic number, but bytes too
	// unevenly spread to pass for ciphertext — typically compressed data in
	// a container Looks does not know.
	Dense
	// EncryptedLike: high entropy, no known magic number and byte values as
	// evenly spread as random data. Ciphertext looks like this, and so do
	// raw compressed streams without a header; see the package documentation.
	EncryptedLike
)

var classNames = [...]string{"undecided", "text", "known-format", "binary", "dense", "encrypted-like"}

// String returns the class name used in reports and logs.
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "unknown"
}

// Verdict is what Looks says of a sample.
type Verdict struct {
	Class Class
	// Format is the recognised format ("zip", "ooxml", "gzip", "png",
	// "pdf"…) for KnownFormat, "utf-8" or "utf-16" for PlainText, else "".
	Format string
	// Entropy (bits per byte) and ChiSquare (against uniform bytes) of the
	// sample without its ends, where a ransomware header or footer would
	// sit: Options.MaxOverhead bytes are trimmed from each, or less on a
	// short sample (at most a quarter of it each, and never below
	// Options.MinSampleBytes in all). They are computed for every class,
	// but decide only between Binary, Dense and EncryptedLike: magic
	// numbers and text come first.
	Entropy, ChiSquare float64
	// Bytes is the length of the sample.
	Bytes int
	// HeadOnly is set on an EncryptedLike verdict reached on the first
	// HeadWindow bytes alone, the rest of the sample being of ordinary
	// entropy: what a "fast" ransomware mode that encrypts only the
	// beginning of each file leaves of a text or binary file.
	HeadOnly bool
	// Mismatch says the file name's extension promises a format (".docx",
	// ".pdf", ".txt"…) that the content is not.
	Mismatch bool
	// Opaque says the extension belongs to content that is meant to look
	// random without a magic number (VeraCrypt volumes, Brotli streams…;
	// the "opaque" entries of indicators.txt). Compare does not count
	// such files as encrypted by ransomware.
	Opaque bool
}

// HeadWindow is the size of the window at the start of a sample that Looks
// also tests on its own, to catch files whose head alone was encrypted.
const HeadWindow = 4 << 10

// Looks classifies a sample of a file's content with DefaultOptions; see
// [Options.Looks].
func Looks(sample []byte, name string) Verdict {
	return DefaultOptions().Looks(sample, name)
}

// Looks classifies a sample of a file's content (as read by [Sample]).
// name is the file's name or path; only its extension is used, to accept
// weak signatures (an MP3 frame header in a .mp3 file) and to set
// Verdict.Mismatch and Verdict.Opaque. In order:
//
//  1. a known magic number at the start → KnownFormat;
//  2. valid UTF-8 or UTF-16 made of printable characters → PlainText;
//  3. fewer than o.MinSampleBytes bytes → Undecided;
//  4. entropy ≥ o.MinEntropy and χ² ≤ o.MaxChiSquare over the sample
//     (trimmed of a possible header and footer), or over its first
//     HeadWindow bytes when the rest is below o.MinEntropy → EncryptedLike;
//  5. entropy ≥ o.MinEntropy → Dense, otherwise Binary.
//
// Looks never fails and does not retain sample.
func (o Options) Looks(sample []byte, name string) Verdict {
	ext := extOf(name)
	v := o.classify(sample, ext)
	if want, ok := extFamily[ext]; ok && v.Class != Undecided {
		switch v.Class {
		case PlainText:
			v.Mismatch = want != "text"
		case KnownFormat:
			v.Mismatch = want != family(v.Format)
		default:
			v.Mismatch = true
		}
	}
	if v.Class == EncryptedLike || v.Class == Dense {
		v.Opaque = indicators.opaque[ext]
	}
	return v
}

func (o Options) classify(p []byte, ext string) Verdict {
	v := Verdict{Bytes: len(p)}
	trim := max(0, min(int(o.MaxOverhead), len(p)/4, (len(p)-o.MinSampleBytes)/2))
	body := p[trim : len(p)-trim]
	h := histogram(body)
	v.Entropy = entropyOf(h, len(body))
	v.ChiSquare = chiSquareOf(h, len(body))
	if f := detectFormat(p, ext); f != "" {
		v.Class, v.Format = KnownFormat, f
		return v
	}
	whole := h
	if trim > 0 {
		ends := histogram(p[:trim])
		tail := histogram(p[len(p)-trim:])
		for b := range whole {
			whole[b] += ends[b] + tail[b]
		}
	}
	if enc := textEncoding(p, &whole); enc != "" {
		v.Class, v.Format = PlainText, enc
		return v
	}
	if len(p) < o.MinSampleBytes {
		return v // Class stays Undecided
	}
	if o.uniform(v.Entropy, v.ChiSquare) {
		v.Class = EncryptedLike
		return v
	}
	if len(p) >= 2*HeadWindow && HeadWindow >= o.MinSampleBytes {
		// Over a few KiB, compressed data passes the χ² test too; so a
		// uniform head counts only when the rest is ordinary, as it is
		// when a fast mode encrypted the head of a text or binary file.
		head, rest := p[:HeadWindow], p[HeadWindow:]
		hh := histogram(head)
		if o.uniform(entropyOf(hh, len(head)), chiSquareOf(hh, len(head))) && Entropy(rest) < o.MinEntropy {
			v.Class, v.HeadOnly = EncryptedLike, true
			return v
		}
	}
	if v.Entropy >= o.MinEntropy {
		v.Class = Dense
	} else {
		v.Class = Binary
	}
	return v
}

// uniform reports statistics that random bytes would give.
func (o Options) uniform(entropy, chi float64) bool {
	return entropy >= o.MinEntropy && chi <= o.MaxChiSquare
}

// textEncoding returns "utf-8" or "utf-16" when p is text, else "".
// Text is valid UTF-8 (or UTF-16 after a byte-order mark) without control
// characters other than tab, line feed, vertical tab, form feed, carriage
// return and escape. A small allowance (1 % plus up to 12 bytes) absorbs
// characters cut at the edges of Sample's blocks and the odd stray byte.
// h is the histogram of p.
func textEncoding(p []byte, h *[256]int) string {
	if len(p) == 0 {
		return ""
	}
	allowed := len(p)/100 + min(12, len(p)/64)
	if len(p) >= 2 && (p[0] == 0xff && p[1] == 0xfe || p[0] == 0xfe && p[1] == 0xff) {
		if utf16Text(p[2:], p[0] == 0xfe, allowed) {
			return "utf-16"
		}
		return ""
	}
	// Quick answers from the histogram: too many control bytes is not
	// text; pure ASCII without them is; valid UTF-8 without a 0xc2 lead
	// byte (the only way to write a C1 control) is.
	controls, high := 0, 0
	for b, c := range h {
		switch {
		case b >= utf8.RuneSelf:
			high += c
		case asciiControl[b]:
			controls += c
		}
	}
	switch {
	case controls > allowed:
		return ""
	case high == 0:
		return "utf-8"
	case h[0xc2] == 0 && utf8.Valid(p):
		return "utf-8"
	}
	bad := 0
	for i := 0; i < len(p); {
		b := p[i]
		if b < utf8.RuneSelf {
			if asciiControl[b] {
				bad++
				if bad > allowed {
					return ""
				}
			}
			i++
			continue
		}
		// A multi-byte sequence: lead byte, then 1 to 3 continuation
		// bytes. Overlong forms and surrogates are let through: this is a
		// text detector, not a validator.
		n := 0
		switch {
		case b >= 0xc2 && b <= 0xdf:
			n = 2
		case b >= 0xe0 && b <= 0xef:
			n = 3
		case b >= 0xf0 && b <= 0xf4:
			n = 4
		}
		ok := n > 0 && i+n <= len(p)
		for j := 1; ok && j < n; j++ {
			ok = p[i+j]&0xc0 == 0x80
		}
		switch {
		case !ok:
			n = 1
			bad++
		case b == 0xc2 && p[i+1] < 0xa0: // U+0080–U+009F, C1 controls
			bad++
		}
		if bad > allowed {
			return ""
		}
		i += n
	}
	return "utf-8"
}

// asciiControl marks the ASCII bytes that do not occur in text.
var asciiControl = func() (t [utf8.RuneSelf]bool) {
	for b := range utf8.RuneSelf {
		t[b] = b < 0x20 && !textControl(rune(b)) || b == 0x7f
	}
	return t
}()

func textControl(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x1b:
		return true
	}
	return false
}

func utf16Text(p []byte, bigEndian bool, allowed int) bool {
	units := make([]uint16, len(p)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(p[2*i])<<8 | uint16(p[2*i+1])
		} else {
			units[i] = uint16(p[2*i+1])<<8 | uint16(p[2*i])
		}
	}
	bad := 0
	for _, r := range utf16.Decode(units) {
		if r == utf8.RuneError || r < 0x20 && !textControl(r) || r >= 0x7f && r < 0xa0 {
			bad++
			if bad > allowed {
				return false
			}
		}
	}
	return true
}

// extOf returns the lower-case extension of a file name, without the dot;
// "" when there is none (including dot-files such as ".bashrc").
func extOf(name string) string {
	base := path.Base(name)
	i := strings.LastIndexByte(base, '.')
	if i <= 0 || i == len(base)-1 {
		return ""
	}
	return strings.ToLower(base[i+1:])
}
