package ransom

// Options holds the thresholds of Looks, Pick and Compare. Start from
// DefaultOptions; the package documentation explains each default.
type Options struct {
	// MinSampleBytes is the smallest sample Looks gives a statistical
	// verdict on. Uniform bytes reach an entropy of 7.82 on average over
	// 1 KiB (never below 7.7 in practice) and χ² is still meaningful with
	// four expected counts per byte value; below that, too many small text
	// or binary files would look random. Default 1024.
	MinSampleBytes int
	// MinEntropy is the entropy, in bits per byte, from which content is
	// high-entropy. Default 7.5: text is below 5.5, executables and
	// databases below 7; compressed and encrypted data exceed 7.9 over a
	// few KiB.
	MinEntropy float64
	// MaxChiSquare is the largest χ² against uniform bytes that still
	// passes for ciphertext. Random bytes give 255 ± 23 (255 degrees of
	// freedom), exceeding 350 about once in 14,000 samples; images and
	// most compressed streams give several hundred to thousands, because
	// their bytes keep some structure. Default 350.
	MaxChiSquare float64
	// MaxOverhead is how much a file may grow or shrink when ransomware
	// encrypts and renames it and still be recognised as the same file
	// (the header or footer with the wrapped key, a marker and sometimes
	// the original name: a few hundred bytes as described for common
	// families),
	// and how much Looks trims from each end of a sample before its
	// statistics. Default 1024.
	MaxOverhead int64
	// MaxSamples caps the number of files of the new snapshot Pick asks
	// to sample (plus as many previous versions). Default 200, about
	// 10 MiB read.
	MaxSamples int
	// MaxExamples caps the example paths kept per signal. Default 20.
	MaxExamples int
	// SkipPrefixes lists path prefixes Compare and Pick ignore in both
	// snapshots: directories that legitimately hold ciphertext without
	// magic numbers, such as another backup tool's repository
	// ("/srv/restic-repo/") or a VeraCrypt volume store.
	SkipPrefixes []string

	// Thresholds of the signals, described on Threshold. The weight of
	// each signal (its points at full strength) is fixed; see Signal.
	Encrypted      Threshold // changed files now encrypted-like; ratio of sampled files
	EncryptedNew   Threshold // encrypted-like files with no readable ancestor; ratio of sampled files
	Renamed        Threshold // files renamed with a new extension; ratio of the previous snapshot
	NewExtension   Threshold // new files sharing an extension never seen before (Min applies per extension); ratio of the new snapshot
	KnownExtension Threshold // new files with a known ransomware extension
	RansomNote     Threshold // new files named like a ransom note
	Deleted        Threshold // files gone (not renamed); ratio of the previous snapshot

	// SizeDrop is the fall of the total size, as a fraction of the
	// previous total, from which the size_drop signal is raised.
	// Default 0.3.
	SizeDrop float64
	// SuspiciousScore is the Score from which Report.Suspicious is set.
	// Default 50: any one strong signal (content, known extensions, ransom
	// notes) reaches it alone; renames need a second signal; deletions and
	// size drops never reach it alone.
	SuspiciousScore int
}

// Threshold says when a count of files makes a signal and how strong it
// is. Below Min files there is no signal. From Min on, the strength grows
// linearly and reaches 1 (the signal's full weight) at Files files or at
// Ratio of the reference population, whichever comes first: counts matter
// on big file servers, ratios on small systems. A zero Files or Ratio
// disables that half.
type Threshold struct {
	Min   int
	Files int
	Ratio float64
}

// strength returns the strength, in [0, 1], of n files making ratio of
// their population.
func (t Threshold) strength(n int, ratio float64) float64 {
	if n <= 0 || n < t.Min {
		return 0
	}
	var s float64
	if t.Files > 0 {
		s = float64(n) / float64(t.Files)
	}
	if t.Ratio > 0 {
		s = max(s, ratio/t.Ratio)
	}
	return min(s, 1)
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{
		MinSampleBytes:  1024,
		MinEntropy:      7.5,
		MaxChiSquare:    350,
		MaxOverhead:     1024,
		MaxSamples:      200,
		MaxExamples:     20,
		Encrypted:       Threshold{Min: 3, Files: 10, Ratio: 0.3},
		EncryptedNew:    Threshold{Min: 5, Files: 50, Ratio: 0.5},
		Renamed:         Threshold{Min: 3, Files: 50, Ratio: 0.1},
		NewExtension:    Threshold{Min: 10, Files: 100, Ratio: 0.1},
		KnownExtension:  Threshold{Min: 1, Files: 5},
		RansomNote:      Threshold{Min: 1, Files: 2},
		Deleted:         Threshold{Min: 10, Files: 10000, Ratio: 0.3},
		SizeDrop:        0.3,
		SuspiciousScore: 50,
	}
}
