package ransom

import (
	"bytes"
	"encoding/binary"
)

// magic is one signature of a known format.
type magic struct {
	format string // name reported in Verdict.Format
	offset int
	sig    []byte
	// ext, when set, is the only extension for which a signature this
	// weak counts: an MPEG audio frame header is 11 bits, so about one
	// random file in 2,000 starts with one.
	ext string
}

// magics are the signatures Looks recognises, checked in order. Only
// formats that matter for the verdict are listed: compressed archives and
// media (high entropy, so they must not be taken for encrypted data),
// documents and a few common structured binaries. Containers that carry
// their own encryption (age, KeePass, LUKS) are known formats too: their
// owner encrypted them on purpose.
var magics = []magic{
	{format: "zip", sig: []byte("PK\x03\x04")},
	{format: "zip", sig: []byte("PK\x05\x06")}, // empty archive
	{format: "zip", sig: []byte("PK\x07\x08")}, // spanned archive
	{format: "gzip", sig: []byte{0x1f, 0x8b, 0x08}},
	{format: "bzip2", sig: []byte("BZh")},
	{format: "xz", sig: []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}},
	{format: "zstd", sig: []byte{0x28, 0xb5, 0x2f, 0xfd}},
	{format: "lz4", sig: []byte{0x04, 0x22, 0x4d, 0x18}},
	{format: "7z", sig: []byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}},
	{format: "rar", sig: []byte("Rar!\x1a\x07")},
	{format: "cab", sig: []byte("MSCF\x00\x00\x00\x00")},
	{format: "png", sig: []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}},
	{format: "jpeg", sig: []byte{0xff, 0xd8, 0xff}},
	{format: "gif", sig: []byte("GIF87a")},
	{format: "gif", sig: []byte("GIF89a")},
	{format: "tiff", sig: []byte("II*\x00")},
	{format: "tiff", sig: []byte("MM\x00*")},
	{format: "webp", offset: 8, sig: []byte("WEBP")}, // after "RIFF" + size
	{format: "wav", offset: 8, sig: []byte("WAVE")},
	{format: "avi", offset: 8, sig: []byte("AVI ")},
	{format: "mp4", offset: 4, sig: []byte("ftyp")}, // also mov, m4a, heic, avif, 3gp
	{format: "mkv", sig: []byte{0x1a, 0x45, 0xdf, 0xa3}},
	{format: "ogg", sig: []byte("OggS")},
	{format: "flac", sig: []byte("fLaC")},
	{format: "mp3", sig: []byte("ID3")},
	{format: "mp3", sig: []byte{0xff, 0xfb}, ext: "mp3"},
	{format: "mp3", sig: []byte{0xff, 0xf3}, ext: "mp3"},
	{format: "mp3", sig: []byte{0xff, 0xf2}, ext: "mp3"},
	{format: "ole2", sig: []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}}, // doc, xls, ppt, msg; password-protected OOXML
	{format: "sqlite", sig: []byte("SQLite format 3\x00")},
	{format: "elf", sig: []byte{0x7f, 'E', 'L', 'F'}},
	{format: "age", sig: []byte("age-encryption.org/v1\n")},
	{format: "kdbx", sig: []byte{0x03, 0xd9, 0xa2, 0x9a}},
	{format: "luks", sig: []byte{'L', 'U', 'K', 'S', 0xba, 0xbe}},
}

// pdfWindow is how far into a file a PDF header may start: readers accept
// leading junk, and some generators write some.
const pdfWindow = 1024

// detectFormat returns the known format whose signature p starts with, or
// "". ext is the lower-case extension of the file name, without the dot.
func detectFormat(p []byte, ext string) string {
	for _, m := range magics {
		if m.ext != "" && m.ext != ext {
			continue
		}
		end := m.offset + len(m.sig)
		if len(p) < end || !bytes.Equal(p[m.offset:end], m.sig) {
			continue
		}
		switch {
		case m.format == "zip":
			return zipFlavour(p)
		case m.offset == 8 && !bytes.HasPrefix(p, []byte("RIFF")):
			continue
		}
		return m.format
	}
	if isPE(p) {
		return "pe"
	}
	if i := bytes.Index(p[:min(len(p), pdfWindow)], []byte("%PDF-")); i >= 0 {
		// A PDF's body is mostly Flate-compressed streams (high entropy);
		// only its header tells it from encrypted data.
		return "pdf"
	}
	return ""
}

// zipFlavour tells the common zip-based document formats apart by the
// name of their first entry, which starts at offset 30 of a local file
// header. Office files are zip archives: docx, xlsx and pptx start with
// "[Content_Types].xml" (or "_rels/"), OpenDocument and EPUB with an
// uncompressed "mimetype" entry.
func zipFlavour(p []byte) string {
	if len(p) < 30 || !bytes.HasPrefix(p, []byte("PK\x03\x04")) {
		return "zip"
	}
	n := int(binary.LittleEndian.Uint16(p[26:28]))
	name := p[30:min(len(p), 30+n)]
	switch {
	case bytes.Equal(name, []byte("[Content_Types].xml")), bytes.HasPrefix(name, []byte("_rels/")),
		bytes.HasPrefix(name, []byte("docProps/")), bytes.HasPrefix(name, []byte("word/")),
		bytes.HasPrefix(name, []byte("xl/")), bytes.HasPrefix(name, []byte("ppt/")):
		return "ooxml"
	case bytes.Equal(name, []byte("mimetype")):
		if bytes.Contains(p[30+n:min(len(p), 30+n+64)], []byte("epub")) {
			return "epub"
		}
		return "odf"
	}
	return "zip"
}

// isPE reports a Windows executable: "MZ" then, at the offset stored at
// 0x3c, "PE\0\0". Packed executables are high entropy.
func isPE(p []byte) bool {
	if len(p) < 0x40 || p[0] != 'M' || p[1] != 'Z' {
		return false
	}
	off := int(binary.LittleEndian.Uint32(p[0x3c:0x40]))
	return off > 0 && off <= len(p)-4 && bytes.Equal(p[off:off+4], []byte("PE\x00\x00"))
}

// family groups formats that an extension may legitimately hold: a .docx
// is an "ooxml" zip, but a plain "zip" is acceptable too.
func family(format string) string {
	switch format {
	case "ooxml", "odf", "epub":
		return "zip"
	}
	return format
}

// extFamily maps the extensions whose content Looks can recognise to the
// family of formats they should hold. It backs Verdict.Mismatch and the
// "was this readable?" question Compare asks of files it has no sample of.
var extFamily = map[string]string{
	"zip": "zip", "docx": "zip", "xlsx": "zip", "pptx": "zip", "docm": "zip", "xlsm": "zip",
	"odt": "zip", "ods": "zip", "odp": "zip", "epub": "zip", "jar": "zip", "apk": "zip",
	"gz": "gzip", "tgz": "gzip", "bz2": "bzip2", "xz": "xz", "txz": "xz", "zst": "zstd",
	"lz4": "lz4", "7z": "7z", "rar": "rar", "cab": "cab",
	"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "gif": "gif", "tif": "tiff", "tiff": "tiff",
	"webp": "webp", "wav": "wav", "avi": "avi",
	"mp4": "mp4", "m4a": "mp4", "mov": "mp4", "heic": "mp4", "avif": "mp4", "3gp": "mp4",
	"mkv": "mkv", "webm": "mkv", "ogg": "ogg", "opus": "ogg", "flac": "flac", "mp3": "mp3",
	"doc": "ole2", "xls": "ole2", "ppt": "ole2", "msg": "ole2",
	"sqlite": "sqlite", "sqlite3": "sqlite",
	"exe": "pe", "dll": "pe", "sys": "pe",
	"pdf": "pdf",
	"txt": "text", "csv": "text", "tsv": "text", "json": "text", "xml": "text", "html": "text",
	"htm": "text", "md": "text", "log": "text", "ini": "text", "conf": "text", "cfg": "text",
	"yaml": "text", "yml": "text", "sql": "text", "rtf": "text", "svg": "text", "eml": "text",
	"go": "text", "py": "text", "js": "text", "ts": "text", "java": "text", "c": "text",
	"h": "text", "cpp": "text", "cs": "text", "php": "text", "rb": "text", "sh": "text",
	"ps1": "text", "bat": "text",
}
