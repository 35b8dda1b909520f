package advisory

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
)

// zipFile is one entry of a test archive.
type zipFile struct {
	name string
	data []byte
}

// buildZip writes files into a deflated zip archive.
func buildZip(t testing.TB, files ...zipFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixtureZip is an all.zip of the three OSV fixtures, as the OSV exporter
// writes it (entries <id>.json, sorted by id), plus a directory and a
// non-JSON entry that ReadOSVZip skips.
func fixtureZip(t testing.TB) []byte {
	return buildZip(t,
		zipFile{"DSA-5901-1.json", readFixture(t, "osv/DSA-5901-1.json")},
		zipFile{"GHSA-7xq4-m2cf-9p3w.json", readFixture(t, "osv/GHSA-7xq4-m2cf-9p3w.json")},
		zipFile{"notes/", nil},
		zipFile{"PYSEC-2024-901.json", readFixture(t, "osv/PYSEC-2024-901.json")},
		zipFile{"README.txt", []byte("not a record")},
	)
}

func readZip(data []byte) (ids []string, n int, err error) {
	n, err = ReadOSVZip(bytes.NewReader(data), int64(len(data)), func(a Advisory) error {
		ids = append(ids, a.ID)
		return nil
	})
	return ids, n, err
}

func TestReadOSVZip(t *testing.T) {
	data := fixtureZip(t)
	var got []Advisory
	n, err := ReadOSVZip(bytes.NewReader(data), int64(len(data)), func(a Advisory) error {
		got = append(got, a)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || len(got) != 3 {
		t.Fatalf("n = %d, %d records, want 3", n, len(got))
	}
	for i, name := range []string{"osv/DSA-5901-1.json", "osv/GHSA-7xq4-m2cf-9p3w.json", "osv/PYSEC-2024-901.json"} {
		want, err := ParseOSV(openFixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		same(t, name, got[i], want)
	}

	ids, n, err := readZip(buildZip(t))
	if err != nil || n != 0 || ids != nil {
		t.Errorf("empty zip: %v %d %v", ids, n, err)
	}
}

func TestReadOSVZipBadEntry(t *testing.T) {
	data := buildZip(t,
		zipFile{"A-1.json", []byte(`{"id": "A-1", "modified": "2024-01-01T00:00:00Z"}`)},
		zipFile{"A-2.json", []byte(`{"id": "A-2", "modified": "2024-01-01T00:00:00Z", "affected": [{"ranges": [{"type": "SEMVER", "events": [{"fixed": "1.0.0"}]}]}]}`)},
		zipFile{"A-3.json", []byte(`{"id": "A-3", "modified": "2024-01-01T00:00:00Z"}`)},
	)
	ids, n, err := readZip(data)
	wantErr(t, err, ErrMalformed, `osv zip entry "A-2.json" "A-2" at $.affected[0].ranges[0].events`, "introduced")
	var e *Error
	if !errors.As(err, &e) || e.Entry != "A-2.json" || e.Doc != "A-2" {
		t.Errorf("error fields: %+v", e)
	}
	if n != 1 || len(ids) != 1 || ids[0] != "A-1" {
		t.Errorf("fn called for %v (n = %d), want only A-1: never for the bad entry or after it", ids, n)
	}

	// Not JSON at all.
	data = buildZip(t, zipFile{"B-1.json", []byte("PK\x03\x04 garbage")})
	_, _, err = readZip(data)
	wantErr(t, err, ErrMalformed, `zip entry "B-1.json"`, "invalid JSON")
}

func TestReadOSVZipCallbackError(t *testing.T) {
	data := fixtureZip(t)
	stop := errors.New("store full")
	calls := 0
	n, err := ReadOSVZip(bytes.NewReader(data), int64(len(data)), func(a Advisory) error {
		calls++
		if a.ID == "GHSA-7xq4-m2cf-9p3w" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), `"GHSA-7xq4-m2cf-9p3w.json"`) {
		t.Errorf("error %v, want the callback's, naming the entry", err)
	}
	if n != 1 || calls != 2 {
		t.Errorf("n = %d, calls = %d, want 1 and 2", n, calls)
	}
}

func TestReadOSVZipBomb(t *testing.T) {
	// A record padded past MaxZipEntry: 9 MiB that deflate to a few KiB.
	big := append([]byte(`{"id": "BOMB-1", "modified": "2024-01-01T00:00:00Z", "details": "`),
		bytes.Repeat([]byte("a"), MaxZipEntry+1<<20)...)
	big = append(big, `"}`...)
	data := buildZip(t,
		zipFile{"A-1.json", []byte(`{"id": "A-1", "modified": "2024-01-01T00:00:00Z"}`)},
		zipFile{"BOMB-1.json", big},
	)
	if len(data) > 100<<10 {
		t.Fatalf("bomb is %d bytes compressed", len(data))
	}
	ids, n, err := readZip(data)
	wantErr(t, err, ErrTooLarge, `zip entry "BOMB-1.json"`, "limit 8388608")
	if n != 0 || ids != nil {
		t.Errorf("fn called for %v before the archive was checked", ids)
	}
}

func TestReadOSVZipLyingHeader(t *testing.T) {
	// The header claims 40 bytes; the data inflates to much more.
	payload := []byte(`{"id": "LIE-1", "modified": "2024-01-01T00:00:00Z", "details": "` + strings.Repeat("b", 1<<20) + `"}`)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(payload)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name:               "LIE-1.json",
		Method:             zip.Deflate,
		CRC32:              crc32.ChecksumIEEE(payload),
		CompressedSize64:   uint64(comp.Len()),
		UncompressedSize64: 40,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()
	_, n, err := readZip(buf.Bytes())
	wantErr(t, err, ErrMalformed, `zip entry "LIE-1.json"`, "cannot read entry")
	if n != 0 {
		t.Errorf("n = %d", n)
	}
}

func TestReadOSVZipOverlap(t *testing.T) {
	// A second central directory record pointing at the first entry's
	// data: the construction of overlapping zip bombs.
	data := buildZip(t, zipFile{"A-1.json", []byte(`{"id": "A-1", "modified": "2024-01-01T00:00:00Z"}`)})
	eocd := bytes.LastIndex(data, []byte("PK\x05\x06"))
	cdSize := binary.LittleEndian.Uint32(data[eocd+12:])
	cdOff := binary.LittleEndian.Uint32(data[eocd+16:])
	cd := data[cdOff : cdOff+cdSize]
	dup := bytes.Replace(bytes.Clone(cd), []byte("A-1.json"), []byte("A-2.json"), 1)
	var out []byte
	out = append(out, data[:cdOff]...)
	out = append(out, cd...)
	out = append(out, dup...)
	tail := bytes.Clone(data[eocd:])
	binary.LittleEndian.PutUint16(tail[8:], 2)
	binary.LittleEndian.PutUint16(tail[10:], 2)
	binary.LittleEndian.PutUint32(tail[12:], 2*cdSize)
	out = append(out, tail...)

	ids, _, err := readZip(out)
	wantErr(t, err, ErrMalformed, "overlap")
	if ids != nil {
		t.Errorf("fn called for %v", ids)
	}
}

func TestReadOSVZipNotZip(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("not a zip"), fixtureZip(t)[:100]} {
		_, _, err := readZip(data)
		wantErr(t, err, ErrMalformed, "advisory: malformed osv zip")
	}
	_, err := ReadOSVZip(bytes.NewReader(nil), -1, func(Advisory) error { return nil })
	wantErr(t, err, ErrMalformed, "negative size")
}
