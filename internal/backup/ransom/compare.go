package ransom

import (
	"cmp"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
)

// File is one regular file of a snapshot, as listed by the backup tool
// (`restic ls --json` gives all but Sample).
type File struct {
	// Path is the slash-separated path in the snapshot; unique within one.
	Path    string
	Size    int64
	ModTime time.Time
	// Sample is a bounded sample of the content (see Sample and Pick);
	// nil when it was not read.
	Sample []byte
}

// Signal codes, stable identifiers for storage, alerts and translations.
const (
	CodeEncrypted      = "encrypted_content" // changed files went from readable to encrypted-like
	CodeEncryptedNew   = "encrypted_new"     // encrypted-like files with no readable ancestor
	CodeRenamed        = "mass_rename"       // files renamed with a new extension, same size
	CodeNewExtension   = "new_extension"     // many new files share a never-seen extension
	CodeKnownExtension = "ransom_extension"  // new files with a known ransomware extension
	CodeRansomNote     = "ransom_note"       // new files named like ransom notes
	CodeDeleted        = "mass_deletion"     // many files gone
	CodeSizeDrop       = "size_drop"         // total size fell
)

// weights are the points each signal is worth at full strength. The
// strong ones (content, known extension, ransom note) can make a report
// suspicious alone; renames need a second signal; deletion and size drop
// never can.
var weights = map[string]float64{
	CodeEncrypted:      60,
	CodeEncryptedNew:   30,
	CodeRenamed:        40,
	CodeNewExtension:   20,
	CodeKnownExtension: 50,
	CodeRansomNote:     50,
	CodeDeleted:        30,
	CodeSizeDrop:       10,
}

// Weight returns the points the signal with this code is worth at full
// strength, 0 for an unknown code.
func Weight(code string) int {
	return int(weights[code])
}

// Reason explains a signal in both languages of the UI.
type Reason struct {
	Code string // one of the Code constants
	EN   string
	VI   string
}

// Signal is one heuristic that fired.
type Signal struct {
	Reason
	// Count is the number of files behind the signal (for size_drop, 0).
	Count int
	// Ratio is Count over the signal's population: the sampled files for
	// the content signals, the previous snapshot for renames and
	// deletions, the new snapshot for extensions and notes; for
	// size_drop, the fall of the total size over the previous total.
	Ratio float64
	// Points is this signal's share of Report.Score: Weight(Code) times
	// the strength given by the signal's Threshold.
	Points int
	// Keys are the values involved, most frequent first, at most 10:
	// extensions (without the dot) or ransom-note file names.
	Keys []string
	// Examples are paths of the new snapshot (of the previous one for
	// deletions), sorted, at most Options.MaxExamples.
	Examples []string
}

// Report is the outcome of comparing two snapshots.
type Report struct {
	// Score is the sum of the signals' points, at most 100.
	Score int
	// Suspicious is Score ≥ Options.SuspiciousScore.
	Suspicious bool
	// Signals that fired, highest points first.
	Signals []Signal

	FilesBefore, FilesAfter int   // files in each snapshot (after SkipPrefixes)
	BytesBefore, BytesAfter int64 // total sizes
	Added                   int   // paths only in the new snapshot (rename targets included)
	Removed                 int   // paths only in the previous snapshot (rename sources included)
	Modified                int   // same path, different size or modification time
	Renamed                 int   // removed/added pairs recognised as suspicious renames
	Deleted                 int   // removed files that are not rename sources
	Sampled                 int   // changed files of the new snapshot with a decided verdict
}

// Signal returns the signal with the given code, if it fired.
func (r Report) Signal(code string) (Signal, bool) {
	for _, s := range r.Signals {
		if s.Code == code {
			return s, true
		}
	}
	return Signal{}, false
}

// Reasons returns the reasons of the signals, in the order of Signals.
func (r Report) Reasons() []Reason {
	out := make([]Reason, len(r.Signals))
	for i, s := range r.Signals {
		out[i] = s.Reason
	}
	return out
}

// delta is the difference between two snapshots.
type delta struct {
	prev, cur map[string]*File
	added     []*File          // cur files whose path is new, sorted by path
	modified  []*File          // cur files whose path existed with another size or time
	deleted   []*File          // prev files gone and not renamed, sorted by path
	renamed   []*File          // cur files that are suspicious renames, sorted by path
	ancestor  map[string]*File // cur path → prev file (same path, or rename source)
	prevExts  map[string]bool  // every extension of the previous snapshot
	removed   int
}

func (o Options) skipped(p string) bool {
	for _, pre := range o.SkipPrefixes {
		if pre != "" && strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// index returns the files not skipped, by path and in path order. When a
// path occurs twice the last occurrence wins.
func (o Options) index(files []File) (map[string]*File, []*File) {
	m := make(map[string]*File, len(files))
	for i := range files {
		if !o.skipped(files[i].Path) {
			m[files[i].Path] = &files[i]
		}
	}
	sorted := make([]*File, 0, len(m))
	for i := range files {
		if f := &files[i]; m[f.Path] == f {
			sorted = append(sorted, f)
		}
	}
	// Backup tools list files in tree order, which is nearly path order:
	// cheap to sort.
	byPath := func(a, b *File) int { return strings.Compare(a.Path, b.Path) }
	if !slices.IsSortedFunc(sorted, byPath) {
		slices.SortFunc(sorted, byPath)
	}
	return m, sorted
}

func (o Options) diff(prev, cur []File) *delta {
	d := &delta{
		ancestor: map[string]*File{},
		prevExts: map[string]bool{},
	}
	var prevSorted, curSorted []*File
	d.prev, prevSorted = o.index(prev)
	d.cur, curSorted = o.index(cur)
	var removed []*File
	for _, p := range prevSorted {
		d.prevExts[extOf(p.Path)] = true
		if _, ok := d.cur[p.Path]; !ok {
			removed = append(removed, p)
		}
	}
	d.removed = len(removed)
	for _, c := range curSorted {
		p, ok := d.prev[c.Path]
		switch {
		case !ok:
			d.added = append(d.added, c)
		case p.Size != c.Size || !p.ModTime.Equal(c.ModTime):
			d.modified = append(d.modified, c)
			d.ancestor[c.Path] = p
		}
	}
	d.matchRenames(removed, o.MaxOverhead)
	sources := make(map[*File]bool, len(d.renamed))
	for _, c := range d.renamed {
		sources[d.ancestor[c.Path]] = true
	}
	for _, p := range removed {
		if !sources[p] {
			d.deleted = append(d.deleted, p)
		}
	}
	return d
}

// matchRenames pairs added files with removed ones in the same directory
// when the new name is the old one plus extensions ("a.docx" →
// "a.docx.lockbit", "a.docx.id[1A2B].[x@y.z].phobos") or the old stem
// with another extension ("a.docx" → "a.x7k2q"), the sizes differ by at
// most overhead, and the new extension is suspicious: never seen in the
// previous snapshot or a known ransomware extension, and not a benign
// suffix (".bak", ".1", "~").
func (d *delta) matchRenames(removed []*File, overhead int64) {
	type key struct{ dir, name string }
	byName := make(map[key]*File, len(removed))
	byStem := make(map[key][]*File, len(removed))
	for _, p := range removed {
		dir, name := path.Split(p.Path)
		byName[key{dir, name}] = p
		byStem[key{dir, stem(name)}] = append(byStem[key{dir, stem(name)}], p)
	}
	used := map[*File]bool{}
	near := func(p, c *File) bool {
		diff := c.Size - p.Size
		return !used[p] && diff <= overhead && -diff <= overhead
	}
	for _, c := range d.added {
		ext := extOf(c.Path)
		if benignExt(ext) {
			continue
		}
		if _, known := MatchExtension(c.Path); d.prevExts[ext] && !known {
			continue
		}
		dir, name := path.Split(c.Path)
		var src *File
		for i := strings.LastIndexByte(name, '.'); i > 0 && src == nil; i = strings.LastIndexByte(name[:i], '.') {
			if p, ok := byName[key{dir, name[:i]}]; ok && near(p, c) {
				src = p
			}
		}
		if src == nil {
			for _, p := range byStem[key{dir, stem(name)}] {
				if extOf(p.Path) != ext && near(p, c) && (src == nil || absDiff(p.Size, c.Size) < absDiff(src.Size, c.Size)) {
					src = p
				}
			}
		}
		if src != nil {
			used[src] = true
			d.ancestor[c.Path] = src
			d.renamed = append(d.renamed, c)
		}
	}
}

// stem is a base name without its last extension.
func stem(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[:i]
	}
	return name
}

func absDiff(a, b int64) int64 {
	if a > b {
		return a - b
	}
	return b - a
}

// Pick returns the paths whose content Compare can use, so that the
// caller reads (with Sample or SampleHead) only those: fromCur from the
// new snapshot — modified files and rename targets first, then other
// added files, at most o.MaxSamples, spread evenly over the path order
// when there are more — and fromPrev, the previous version of each of
// those that has one (same path, or rename source). Files smaller than
// o.MinSampleBytes are left out: Looks could not decide on them.
func Pick(prev, cur []File, o Options) (fromPrev, fromCur []string) {
	d := o.diff(prev, cur)
	big := func(f *File) bool { return f.Size >= int64(o.MinSampleBytes) }
	var first, second []*File
	renamed := map[*File]bool{}
	for _, c := range d.renamed {
		renamed[c] = true
	}
	for _, c := range d.modified {
		if big(c) {
			first = append(first, c)
		}
	}
	for _, c := range d.added {
		switch {
		case !big(c):
		case renamed[c]:
			first = append(first, c)
		default:
			second = append(second, c)
		}
	}
	slices.SortFunc(first, func(a, b *File) int { return strings.Compare(a.Path, b.Path) })
	chosen := spread(first, o.MaxSamples)
	chosen = append(chosen, spread(second, o.MaxSamples-len(chosen))...)
	for _, c := range chosen {
		fromCur = append(fromCur, c.Path)
		if p := d.ancestor[c.Path]; p != nil && big(p) {
			fromPrev = append(fromPrev, p.Path)
		}
	}
	return fromPrev, fromCur
}

// spread returns at most n elements of s, evenly spaced.
func spread[T any](s []T, n int) []T {
	if n <= 0 {
		return nil
	}
	if len(s) <= n {
		return s
	}
	out := make([]T, n)
	for i := range n {
		out[i] = s[i*len(s)/n]
	}
	return out
}

// Compare looks for signs of ransomware between two consecutive snapshots
// of the same system. prev and cur list their files; Samples, where
// present, are used for the changed files of cur and their previous
// versions (see Pick). Samples of unchanged files are ignored. An empty
// prev is a first snapshot: there is nothing to compare and the report
// holds only totals.
//
// Compare does not modify its arguments or retain them.
func Compare(prev, cur []File, o Options) Report {
	d := o.diff(prev, cur)
	r := Report{
		FilesBefore: len(d.prev),
		FilesAfter:  len(d.cur),
		Added:       len(d.added),
		Removed:     d.removed,
		Modified:    len(d.modified),
		Renamed:     len(d.renamed),
		Deleted:     len(d.deleted),
	}
	for _, f := range d.prev {
		r.BytesBefore += f.Size
	}
	for _, f := range d.cur {
		r.BytesAfter += f.Size
	}
	if len(d.prev) == 0 {
		return r
	}
	c := collector{o: o}
	o.contentSignals(d, &r, &c)
	o.renameSignals(d, &c)
	o.nameSignals(d, &c)
	o.lossSignals(d, &r, &c)

	slices.SortStableFunc(c.signals, func(a, b Signal) int { return cmp.Compare(b.Points, a.Points) })
	r.Signals = c.signals
	total := 0
	for _, s := range r.Signals {
		total += s.Points
	}
	r.Score = min(total, 100)
	r.Suspicious = r.Score >= o.SuspiciousScore
	return r
}

// collector accumulates the signals of one comparison.
type collector struct {
	o       Options
	signals []Signal
}

// add records a signal if its threshold is met. files are its examples
// (paths sorted by the caller), keys its counted values.
func (c *collector) add(t Threshold, code string, files []*File, ratio float64, keys []string, reason func(n int, keys []string) Reason) {
	n := len(files)
	s := t.strength(n, ratio)
	if s == 0 {
		return
	}
	sig := Signal{
		Reason: reason(n, keys),
		Count:  n,
		Ratio:  ratio,
		Points: int(weights[code]*s + 0.5),
		Keys:   keys,
	}
	sig.Code = code
	for _, f := range files[:min(len(files), c.o.MaxExamples)] {
		sig.Examples = append(sig.Examples, f.Path)
	}
	c.signals = append(c.signals, sig)
}

// topKeys returns the distinct values of key over files, most frequent
// first (ties by value), at most 10.
func topKeys(files []*File, key func(*File) string) []string {
	counts := map[string]int{}
	for _, f := range files {
		counts[key(f)]++
	}
	keys := slices.Collect(maps.Keys(counts))
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b))
	})
	return keys[:min(len(keys), 10)]
}

func extKey(f *File) string { return extOf(f.Path) }

// contentSignals classifies the samples of the changed files of cur.
func (o Options) contentSignals(d *delta, r *Report, c *collector) {
	var enc, encNew []*File
	changed := append(slices.Clone(d.modified), d.added...)
	slices.SortFunc(changed, func(a, b *File) int { return strings.Compare(a.Path, b.Path) })
	for _, f := range changed {
		if f.Sample == nil {
			continue
		}
		v := o.Looks(f.Sample, f.Path)
		if v.Class == Undecided {
			continue
		}
		r.Sampled++
		// A Dense file that lost the magic number its name promises is
		// what a fast mode leaves of a big archive or video.
		lostMagic := v.Class == Dense && v.Mismatch
		if v.Class != EncryptedLike && !lostMagic || v.Opaque {
			continue
		}
		switch o.wasReadable(f, d.ancestor[f.Path]) {
		case readable:
			enc = append(enc, f)
		case unknown:
			if !lostMagic {
				encNew = append(encNew, f)
			}
		}
	}
	ratio := func(n int) float64 { return fraction(n, r.Sampled) }
	c.add(o.Encrypted, CodeEncrypted, enc, ratio(len(enc)), topKeys(enc, ancestorExt(d)), func(n int, keys []string) Reason {
		return reasonEncrypted(n, ratio(n), r.Sampled, keys)
	})
	c.add(o.EncryptedNew, CodeEncryptedNew, encNew, ratio(len(encNew)), topKeys(encNew, extKey), func(n int, keys []string) Reason {
		return reasonEncryptedNew(n, ratio(n), r.Sampled, keys)
	})
}

// ancestorExt keys a file by the extension of its previous version, which
// says what was encrypted (docx, xlsx…) better than ".lockbit".
func ancestorExt(d *delta) func(*File) string {
	return func(f *File) string {
		if p := d.ancestor[f.Path]; p != nil {
			return extOf(p.Path)
		}
		return extOf(f.Path)
	}
}

type readability uint8

const (
	unknown readability = iota
	readable
	wasOpaque
)

// wasReadable says whether an encrypted-like file f was readable before:
// its previous version's sample if there is one, otherwise the previous
// version's name (a .docx or a .txt was readable), otherwise — a new file
// — its own name (a new "report.pdf" that is not a PDF).
func (o Options) wasReadable(f, prev *File) readability {
	if prev != nil && prev.Sample != nil {
		switch o.Looks(prev.Sample, prev.Path).Class {
		case EncryptedLike:
			return wasOpaque // already opaque: a VeraCrypt volume that changed, say
		case PlainText, KnownFormat, Binary:
			return readable
		}
	}
	name := f.Path
	if prev != nil {
		name = prev.Path
	}
	if _, ok := extFamily[extOf(name)]; ok {
		return readable
	}
	return unknown
}

// renameSignals reports mass renames.
func (o Options) renameSignals(d *delta, c *collector) {
	ratio := fraction(len(d.renamed), len(d.prev))
	c.add(o.Renamed, CodeRenamed, d.renamed, ratio, topKeys(d.renamed, extKey), func(n int, keys []string) Reason {
		return reasonRenamed(n, ratio, keys)
	})
}

// nameSignals reports new extensions, known ransomware extensions and
// ransom notes among the added files.
func (o Options) nameSignals(d *delta, c *collector) {
	byExt := map[string][]*File{}
	var known, notes []*File
	for _, f := range d.added {
		ext := extOf(f.Path)
		if ext != "" && !d.prevExts[ext] {
			byExt[ext] = append(byExt[ext], f)
		}
		if _, ok := MatchExtension(f.Path); ok {
			known = append(known, f)
		}
		if _, ok := MatchNote(f.Path); ok {
			notes = append(notes, f)
		}
	}
	var fresh []*File
	for _, files := range byExt {
		if len(files) >= max(o.NewExtension.Min, 1) {
			fresh = append(fresh, files...)
		}
	}
	slices.SortFunc(fresh, func(a, b *File) int { return strings.Compare(a.Path, b.Path) })
	newRatio := fraction(len(fresh), len(d.cur))
	c.add(o.NewExtension, CodeNewExtension, fresh, newRatio, topKeys(fresh, extKey), func(n int, keys []string) Reason {
		return reasonNewExtension(n, newRatio, keys)
	})
	knownRatio := fraction(len(known), len(d.cur))
	c.add(o.KnownExtension, CodeKnownExtension, known, knownRatio, topKeys(known, extKey), func(n int, keys []string) Reason {
		return reasonKnownExtension(n, keys)
	})
	dirs := map[string]bool{}
	for _, f := range notes {
		dirs[path.Dir(f.Path)] = true
	}
	base := func(f *File) string { return path.Base(f.Path) }
	c.add(o.RansomNote, CodeRansomNote, notes, fraction(len(notes), len(d.cur)), topKeys(notes, base), func(n int, keys []string) Reason {
		return reasonRansomNote(n, len(dirs), keys)
	})
}

// lossSignals reports deletions and a fall of the total size.
func (o Options) lossSignals(d *delta, r *Report, c *collector) {
	ratio := fraction(len(d.deleted), len(d.prev))
	c.add(o.Deleted, CodeDeleted, d.deleted, ratio, topKeys(d.deleted, extKey), func(n int, keys []string) Reason {
		return reasonDeleted(n, ratio, keys)
	})
	if r.BytesBefore <= 0 || o.SizeDrop <= 0 {
		return
	}
	drop := float64(r.BytesBefore-r.BytesAfter) / float64(r.BytesBefore)
	if drop < o.SizeDrop {
		return
	}
	s := Signal{
		Reason: reasonSizeDrop(drop, r.BytesBefore, r.BytesAfter),
		Ratio:  drop,
		Points: int(weights[CodeSizeDrop]),
	}
	c.signals = append(c.signals, s)
}

func fraction(n, of int) float64 {
	if of <= 0 {
		return 0
	}
	return float64(n) / float64(of)
}
