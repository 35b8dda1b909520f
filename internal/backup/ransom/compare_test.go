package ransom_test

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/backup/ransom"
)

// tree is a snapshot under construction: path → content and time.
type tree map[string]entry

type entry struct {
	data []byte
	mod  time.Time
}

var (
	lastNight = time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)
	tonight   = lastNight.Add(24 * time.Hour)
	shareDirs = []string{"ke-toan", "nhan-su", "ky-thuat", "kinh-doanh", "chung", "du-an/cong-a", "du-an/cong-b", "anh"}
)

// fileServer is the file share of the tests, built once: tests must
// clone it before changing it.
var fileServer = sync.OnceValue(newFileServer)

// newFileServer builds a department file share: 240 documents of the kinds
// people keep (Word and Excel files, PDFs, notes in English and
// Vietnamese, CSV exports, photos, JSON and source code), a few KiB to 64 KiB each,
// in 8 folders, plus an application log.
func newFileServer() tree {
	r := newRand(42)
	t := tree{}
	for i := range 240 {
		dir := "/srv/share/" + shareDirs[i%len(shareDirs)]
		n := 8<<10 + r.IntN(56<<10)
		var name string
		var data []byte
		switch i % 10 {
		case 0:
			name, data = fmt.Sprintf("hop-dong-%03d.docx", i), docx(r, wordsVI, n)
		case 1:
			name, data = fmt.Sprintf("bang-luong-%03d.xlsx", i), zipOf(
				zipEntry{name: "[Content_Types].xml", data: []byte("<Types/>")},
				zipEntry{name: "xl/worksheets/sheet1.xml", data: csvData(r, n/40)})
		case 2:
			name, data = fmt.Sprintf("hoa-don-%03d.pdf", i), pdfOf(r, n)
		case 3:
			name, data = fmt.Sprintf("notes-%03d.txt", i), prose(r, wordsEN, n)
		case 4:
			name, data = fmt.Sprintf("bien-ban-%03d.txt", i), prose(r, wordsVI, n)
		case 5:
			name, data = fmt.Sprintf("export-%03d.csv", i), csvData(r, n/40)
		case 6:
			name, data = fmt.Sprintf("scan-%03d.png", i), photo(r, 48+r.IntN(64), 48+r.IntN(64))
		case 7:
			name, data = fmt.Sprintf("anh-%03d.jpg", i), jpegOf(r, 64+r.IntN(128), 64+r.IntN(128))
		case 8:
			name, data = fmt.Sprintf("config-%03d.json", i), jsonData(r, n/90)
		case 9:
			name, data = fmt.Sprintf("tool_%03d.go", i), goSource(r, n/200)
		}
		t[dir+"/"+name] = entry{data, lastNight.Add(-time.Duration(1+r.IntN(2000)) * time.Hour)}
	}
	t["/var/log/app/app.log"] = entry{prose(r, wordsEN, 20<<10), lastNight}
	return t
}

func (t tree) clone() tree { return maps.Clone(t) }

// documents returns the paths under /srv/share, sorted.
func (t tree) documents() []string {
	var out []string
	for p := range t {
		if strings.HasPrefix(p, "/srv/share/") {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// list returns the snapshot's files, without samples, in path order.
func (t tree) list() []ransom.File {
	files := make([]ransom.File, 0, len(t))
	for _, p := range slices.Sorted(maps.Keys(t)) {
		e := t[p]
		files = append(files, ransom.File{Path: p, Size: int64(len(e.data)), ModTime: e.mod})
	}
	return files
}

// sample fills in the samples of the given paths, as the caller of Pick
// does with `restic dump`.
func (t tree) sample(tb testing.TB, files []ransom.File, paths []string) {
	want := map[string]bool{}
	for _, p := range paths {
		want[p] = true
	}
	for i := range files {
		if want[files[i].Path] {
			files[i].Sample = sampleOf(tb, t[files[i].Path].data)
		}
	}
}

// compare runs Pick, samples, and Compare, as the backup job will.
func compare(tb testing.TB, prev, cur tree, sample bool, o ransom.Options) ransom.Report {
	p, c := prev.list(), cur.list()
	if sample {
		fromPrev, fromCur := ransom.Pick(p, c, o)
		prev.sample(tb, p, fromPrev)
		cur.sample(tb, c, fromCur)
	}
	return ransom.Compare(p, c, o)
}

// The scenarios, each a change to the file server between two nights.

func normalDay(prev tree) tree {
	r := newRand(7)
	cur := prev.clone()
	docs := prev.documents()
	for _, p := range docs[:5] { // five edits
		e := cur[p]
		if strings.HasSuffix(p, ".docx") {
			e.data = docx(r, wordsVI, len(e.data)+4096)
		} else {
			e.data = append(slices.Clone(e.data), prose(r, wordsVI, 2048)...)
		}
		e.mod = tonight.Add(-3 * time.Hour)
		cur[p] = e
	}
	cur["/srv/share/ke-toan/hop-dong-moi.docx"] = entry{docx(r, wordsVI, 30<<10), tonight}
	cur["/srv/share/ke-toan/hoa-don-moi.pdf"] = entry{pdfOf(r, 20<<10), tonight}
	cur["/srv/share/chung/ghi-chu.txt"] = entry{prose(r, wordsEN, 5<<10), tonight}
	delete(cur, docs[100])
	// Log rotation: app.log becomes app.log.1, a new app.log starts.
	cur["/var/log/app/app.log.1"] = prev["/var/log/app/app.log"]
	cur["/var/log/app/app.log"] = entry{prose(r, wordsEN, 3<<10), tonight}
	return cur
}

// encryptShare encrypts 4 documents in 5 as ransomware does: AES-CTR, a
// 512-byte footer, the name plus ext (or in place when ext is ""), and
// one ransom note per folder.
func encryptShare(prev tree, ext, note string) tree {
	r := newRand(13)
	cur := prev.clone()
	for i, p := range prev.documents() {
		if i%5 == 0 {
			continue
		}
		e := prev[p]
		var data []byte
		if ext == "" {
			data = encryptCTR(r, e.data, nil, nil)
		} else {
			data = encryptCTR(r, e.data, nil, footer512(r, path.Base(p)))
		}
		np := p
		if ext != "" {
			delete(cur, p)
			np = p + "." + ext
		}
		cur[np] = entry{data, tonight.Add(-2 * time.Hour)}
	}
	if note != "" {
		for _, d := range shareDirs {
			cur["/srv/share/"+d+"/"+note] = entry{[]byte("All your files are encrypted. Contact us to restore them.\n"), tonight}
		}
	}
	return cur
}

// encryptInPlace encrypts n documents from the from-th, without renaming
// them.
func encryptInPlace(prev tree, from, n int) tree {
	r := newRand(17)
	cur := prev.clone()
	for _, p := range prev.documents()[from : from+n] {
		cur[p] = entry{encryptCTR(r, prev[p].data, nil, nil), tonight}
	}
	return cur
}

func addArchive(prev tree) tree {
	r := newRand(19)
	cur := prev.clone()
	var entries []zipEntry
	for _, p := range prev.documents() {
		entries = append(entries, zipEntry{name: strings.TrimPrefix(p, "/srv/share/"), data: prev[p].data, stored: true})
	}
	for i := range 8 {
		entries = append(entries, zipEntry{name: fmt.Sprintf("anh-goc/%02d.png", i), data: photo(r, 256, 256), stored: true})
	}
	cur["/srv/share/chung/sao-luu-thang-02.zip"] = entry{zipOf(entries...), tonight}
	cur["/srv/share/chung/vault.hc"] = entry{noise(r, 1<<20), tonight} // a VeraCrypt volume
	return cur
}

func deleteMost(prev tree) tree {
	cur := prev.clone()
	for i, p := range prev.documents() {
		if i%5 < 3 {
			delete(cur, p)
		}
	}
	return cur
}

func newProject(prev tree) tree {
	r := newRand(23)
	cur := prev.clone()
	for i := range 40 {
		cur[fmt.Sprintf("/srv/share/du-an/web/src/component%02d.tsx", i)] = entry{goSource(r, 20), tonight}
	}
	return cur
}

type sig struct{ count, points int }

func TestCompare(t *testing.T) {
	base := fileServer()
	o := ransom.DefaultOptions()
	tests := []struct {
		name       string
		prev, cur  tree
		noSamples  bool
		score      int
		suspicious bool
		// added, removed, modified, renamed, deleted, sampled
		counts  [6]int
		signals map[string]sig
	}{
		{
			// Five edits, three new files, one deletion, a log rotation.
			name: "normal_day", prev: base, cur: normalDay(base),
			score: 0, suspicious: false,
			counts:  [6]int{4, 1, 6, 0, 1, 10},
			signals: map[string]sig{},
		},
		{
			// 192 of 240 documents encrypted and renamed to .lockbit, a
			// note in each of the 8 folders. Every signal fires.
			name: "lockbit_mass_encryption", prev: base, cur: encryptShare(base, "lockbit", "Restore-My-Files.txt"),
			score: 100, suspicious: true,
			counts: [6]int{200, 192, 0, 192, 0, 192},
			signals: map[string]sig{
				ransom.CodeEncrypted:      {192, 60},
				ransom.CodeRenamed:        {192, 40},
				ransom.CodeKnownExtension: {192, 50},
				ransom.CodeRansomNote:     {8, 50},
				ransom.CodeNewExtension:   {192, 20},
			},
		},
		{
			// LockBit 3.0 style: a random extension per victim, not in any
			// list; its note matches "?????????.README.txt".
			name: "random_extension", prev: base, cur: encryptShare(base, "x7kq2mzpa", "x7kq2mzpa.README.txt"),
			score: 100, suspicious: true,
			counts: [6]int{200, 192, 0, 192, 0, 192}, // notes are too small to sample
			signals: map[string]sig{
				ransom.CodeEncrypted:    {192, 60},
				ransom.CodeRenamed:      {192, 40},
				ransom.CodeRansomNote:   {8, 50},
				ransom.CodeNewExtension: {192, 20},
			},
		},
		{
			// The same attack when the job could not read any content:
			// names alone still make it suspicious.
			name: "lockbit_names_only", prev: base, cur: encryptShare(base, "lockbit", "Restore-My-Files.txt"), noSamples: true,
			score: 100, suspicious: true,
			counts: [6]int{200, 192, 0, 192, 0, 0},
			signals: map[string]sig{
				ransom.CodeRenamed:        {192, 40},
				ransom.CodeKnownExtension: {192, 50},
				ransom.CodeRansomNote:     {8, 50},
				ransom.CodeNewExtension:   {192, 20},
			},
		},
		{
			// Random extension, no note, no samples: renames and the new
			// extension together reach the threshold.
			name: "random_extension_names_only", prev: base, cur: encryptShare(base, "x7kq2mzpa", ""), noSamples: true,
			score: 60, suspicious: true,
			counts: [6]int{192, 192, 0, 192, 0, 0},
			signals: map[string]sig{
				ransom.CodeRenamed:      {192, 40},
				ransom.CodeNewExtension: {192, 20},
			},
		},
		{
			// Encrypted in place, names and sizes unchanged: only the
			// content tells, and it is enough.
			name: "in_place_encryption", prev: base, cur: encryptShare(base, "", ""),
			score: 60, suspicious: true,
			counts:  [6]int{0, 0, 192, 0, 0, 192},
			signals: map[string]sig{ransom.CodeEncrypted: {192, 60}},
		},
		{
			// Three files encrypted in place, the only changes of the day:
			// 3 of 3 sampled files is a ratio of 1, full weight.
			name: "three_in_place_alone", prev: base, cur: encryptInPlace(base, 200, 3),
			score: 60, suspicious: true,
			counts:  [6]int{0, 0, 3, 0, 0, 3},
			signals: map[string]sig{ransom.CodeEncrypted: {3, 60}},
		},
		{
			// The same three among 40 other new files: 3 of the 10 files
			// for full weight (ratio 3/43 is below 0.3), 18 points.
			name: "three_in_place_among_many", prev: base, cur: encryptInPlace(newProject(base), 200, 3),
			score: 38, suspicious: false,
			counts: [6]int{40, 0, 3, 0, 0, 43},
			signals: map[string]sig{
				ransom.CodeEncrypted:    {3, 18},
				ransom.CodeNewExtension: {40, 20},
			},
		},
		{
			// A 7 MiB zip of the share and a VeraCrypt volume: high
			// entropy, but a known format and an opaque extension.
			name: "legit_archive_and_vault", prev: base, cur: addArchive(base),
			score: 0, suspicious: false,
			counts:  [6]int{2, 0, 0, 0, 0, 2},
			signals: map[string]sig{},
		},
		{
			// 144 of 241 files deleted: reported, but not as encryption.
			name: "mass_deletion", prev: base, cur: deleteMost(base),
			score: 40, suspicious: false,
			counts: [6]int{0, 144, 0, 0, 144, 0},
			signals: map[string]sig{
				ransom.CodeDeleted:  {144, 30},
				ransom.CodeSizeDrop: {0, 10},
			},
		},
		{
			// 40 new .tsx files: a new extension, worth a look, not an alarm.
			name: "new_project", prev: base, cur: newProject(base),
			score: 20, suspicious: false,
			counts:  [6]int{40, 0, 0, 0, 0, 40},
			signals: map[string]sig{ransom.CodeNewExtension: {40, 20}},
		},
		{
			name: "first_snapshot", prev: tree{}, cur: base,
			score: 0, suspicious: false,
			counts:  [6]int{241, 0, 0, 0, 0, 0},
			signals: map[string]sig{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := compare(t, tt.prev, tt.cur, !tt.noSamples, o)
			got := [6]int{r.Added, r.Removed, r.Modified, r.Renamed, r.Deleted, r.Sampled}
			if got != tt.counts {
				t.Errorf("added, removed, modified, renamed, deleted, sampled = %v, want %v", got, tt.counts)
			}
			if r.Score != tt.score || r.Suspicious != tt.suspicious {
				t.Errorf("Score, Suspicious = %d, %t, want %d, %t", r.Score, r.Suspicious, tt.score, tt.suspicious)
			}
			gotSigs := map[string]sig{}
			for _, s := range r.Signals {
				gotSigs[s.Code] = sig{s.Count, s.Points}
			}
			if !maps.Equal(gotSigs, tt.signals) {
				t.Errorf("signals = %v, want %v", gotSigs, tt.signals)
			}
			for _, s := range r.Signals {
				t.Logf("%s: %s", s.Code, s.EN)
			}
		})
	}
}

func TestCompareReasons(t *testing.T) {
	base := fileServer()
	o := ransom.DefaultOptions()
	o.MaxExamples = 5
	cur := encryptShare(base, "lockbit", "Restore-My-Files.txt")
	r := compare(t, base, cur, true, o)

	wantOrder := []string{ransom.CodeEncrypted, ransom.CodeKnownExtension, ransom.CodeRansomNote, ransom.CodeRenamed, ransom.CodeNewExtension}
	var order []string
	for _, s := range r.Signals {
		order = append(order, s.Code)
	}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("signal order = %v, want %v (by points, then evaluation order)", order, wantOrder)
	}
	tests := []struct {
		code   string
		keys   []string
		ratio  float64
		en, vi string
	}{
		{ransom.CodeEncrypted, []string{"txt", "csv", "docx", "go", "json", "pdf", "png", "xlsx", "jpg"}, 1,
			"192 changed files now look encrypted", "192 tệp thay đổi nay trông như đã bị mã hóa"},
		{ransom.CodeRenamed, []string{"lockbit"}, 192.0 / 241,
			"192 files (80% of the previous snapshot) were renamed with a new extension (.lockbit)",
			"192 tệp (80% bản sao lưu trước) bị đổi tên sang phần mở rộng mới (.lockbit)"},
		{ransom.CodeKnownExtension, []string{"lockbit"}, 192.0 / 249,
			"192 new files carry an extension used by ransomware: .lockbit",
			"192 tệp mới mang phần mở rộng mà mã độc tống tiền sử dụng: .lockbit"},
		{ransom.CodeRansomNote, []string{"Restore-My-Files.txt"}, 8.0 / 249,
			"8 files named like ransom notes appeared in 8 folders: Restore-My-Files.txt",
			"8 tệp có tên giống thư đòi tiền chuộc xuất hiện trong 8 thư mục"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			s, ok := r.Signal(tt.code)
			if !ok {
				t.Fatalf("no %s signal", tt.code)
			}
			if !slices.Equal(s.Keys, tt.keys) {
				t.Errorf("Keys = %q, want %q", s.Keys, tt.keys)
			}
			if d := s.Ratio - tt.ratio; d > 1e-9 || d < -1e-9 {
				t.Errorf("Ratio = %v, want %v", s.Ratio, tt.ratio)
			}
			if !strings.Contains(s.EN, tt.en) || !strings.Contains(s.VI, tt.vi) {
				t.Errorf("reasons =\n%s\n%s\nwant them to contain\n%s\n%s", s.EN, s.VI, tt.en, tt.vi)
			}
			if s.Reason.Code != tt.code {
				t.Errorf("Reason.Code = %q", s.Reason.Code)
			}
			if len(s.Examples) != o.MaxExamples || !slices.IsSorted(s.Examples) {
				t.Errorf("Examples = %q, want %d sorted paths", s.Examples, o.MaxExamples)
			}
			for _, p := range s.Examples {
				if _, ok := cur[p]; !ok {
					t.Errorf("example %q is not in the new snapshot", p)
				}
			}
		})
	}
	if got := r.Reasons(); len(got) != len(r.Signals) || got[0] != r.Signals[0].Reason {
		t.Errorf("Reasons() = %v", got)
	}
	if r.BytesAfter-r.BytesBefore != 192*512+8*58 {
		t.Errorf("size change = %d, want 192 footers of 512 bytes and 8 notes of 58", r.BytesAfter-r.BytesBefore)
	}
}

func TestCompareSkipPrefixes(t *testing.T) {
	base := fileServer()
	// Another backup tool's repository: pack files without extension,
	// encrypted, appearing every night.
	cur := base.clone()
	r := newRand(29)
	for i := range 30 {
		cur[fmt.Sprintf("/srv/restic-repo/data/%02x/%064x", i, i)] = entry{noise(r, 8<<10), tonight}
	}
	tests := []struct {
		name  string
		skip  []string
		score int
		count int
	}{
		// 30 of 30 sampled: full weight, 30 points, not suspicious alone.
		{"counted", nil, 30, 30},
		{"skipped", []string{"/srv/restic-repo/"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ransom.DefaultOptions()
			o.SkipPrefixes = tt.skip
			rep := compare(t, base, cur, true, o)
			s, _ := rep.Signal(ransom.CodeEncryptedNew)
			if rep.Score != tt.score || s.Count != tt.count {
				t.Errorf("Score = %d, encrypted_new = %d; want %d, %d", rep.Score, s.Count, tt.score, tt.count)
			}
		})
	}
}

func TestPick(t *testing.T) {
	base := fileServer()
	lockbit := encryptShare(base, "lockbit", "Restore-My-Files.txt")
	tests := []struct {
		name       string
		cur        tree
		max        int
		prev, curN int
		score      int
	}{
		// Modified files first, then added ones; app.log.1 has no ancestor
		// (a benign rename is not paired).
		{"normal_day", normalDay(base), 200, 6, 10, 0},
		{"lockbit_all", lockbit, 200, 192, 192, 100},
		// A cap of 20 files still shows the encryption.
		{"lockbit_capped", lockbit, 20, 20, 20, 100},
		{"nothing_changed", base, 200, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ransom.DefaultOptions()
			o.MaxSamples = tt.max
			p, c := base.list(), tt.cur.list()
			fromPrev, fromCur := ransom.Pick(p, c, o)
			if len(fromPrev) != tt.prev || len(fromCur) != tt.curN {
				t.Fatalf("Pick = %d previous, %d current paths, want %d, %d", len(fromPrev), len(fromCur), tt.prev, tt.curN)
			}
			dirs := map[string]bool{}
			for _, p := range fromCur {
				if _, ok := tt.cur[p]; !ok {
					t.Errorf("picked %q, not in the new snapshot", p)
				}
				if len(tt.cur[p].data) < o.MinSampleBytes {
					t.Errorf("picked %q, too small to decide", p)
				}
				dirs[path.Dir(p)] = true
			}
			for _, p := range fromPrev {
				if _, ok := base[p]; !ok {
					t.Errorf("picked previous %q, not in the previous snapshot", p)
				}
			}
			if len(fromCur) >= 20 && len(dirs) < len(shareDirs) {
				t.Errorf("picked files in %d folders, want them spread over all %d", len(dirs), len(shareDirs))
			}
			base.sample(t, p, fromPrev)
			tt.cur.sample(t, c, fromCur)
			if r := ransom.Compare(p, c, o); r.Score != tt.score || r.Sampled != tt.curN {
				t.Errorf("Compare after Pick: Score %d, Sampled %d; want %d, %d", r.Score, r.Sampled, tt.score, tt.curN)
			}
		})
	}
}
