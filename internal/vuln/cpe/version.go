package cpe

// CompareVersion compares two versions as NVD writes them, which have no
// ecosystem to say how they order. It returns -1, 0 or +1.
//
// A version is split into segments, runs of ASCII digits and runs of
// letters; every other character separates segments and is otherwise
// ignored ("1.0-1" = "1.0.1" = "1_0_1"), as is a leading "v" before a digit.
// Segments compare in order:
//
//   - digits with digits as numbers, of any length ("10" > "9", "01" = "1");
//   - letters with letters as text, case-insensitively ("b" > "a");
//   - digits are above letters ("1.0.1" > "1.0.a").
//
// When one version runs out, the other is equal if all it has left are
// zero numbers ("1.0" = "1.0.0"), and above otherwise ("1.0" < "1.0.1",
// "1.0.2" < "1.0.2a", "2.0" < "2.0rc1"). Other bytes (non-ASCII) separate
// segments like punctuation.
//
// This is a total order: versions compare as their sequences of segments
// once trailing zero numbers are dropped, a sequence that is a prefix of
// another being below it; equal versions are those with the same sequence.
func CompareVersion(a, b string) int {
	a, b = significant(a), significant(b)
	i, j := 0, 0
	for {
		sa, na := segment(a, i)
		sb, nb := segment(b, j)
		switch {
		case sa == "" && sb == "":
			return 0
		case sa == "":
			return -1
		case sb == "":
			return 1
		}
		if c := compareSegments(sa, sb); c != 0 {
			return c
		}
		i, j = na, nb
	}
}

// significant returns s without a leading "v" before a digit and without
// its trailing zero numbers: up to the end of its last segment that is
// letters or a number other than zero.
func significant(s string) string {
	s = trimV(s)
	end := 0
	for i := 0; ; {
		seg, next := segment(s, i)
		if seg == "" {
			return s[:end]
		}
		if !isDigit(seg[0]) || trimZeros(seg) != "" {
			end = next
		}
		i = next
	}
}

// trimV drops a leading "v" or "V" followed by a digit.
func trimV(s string) string {
	if len(s) > 1 && (s[0] == 'v' || s[0] == 'V') && isDigit(s[1]) {
		return s[1:]
	}
	return s
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// segment returns the segment of s starting at or after i ("" at the end)
// and the index after it.
func segment(s string, i int) (string, int) {
	for i < len(s) && !isDigit(s[i]) && !isLetter(s[i]) {
		i++
	}
	if i == len(s) {
		return "", i
	}
	start := i
	if isDigit(s[i]) {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	} else {
		for i < len(s) && isLetter(s[i]) {
			i++
		}
	}
	return s[start:i], i
}

// compareSegments compares two non-empty segments.
func compareSegments(a, b string) int {
	da, db := isDigit(a[0]), isDigit(b[0])
	switch {
	case da && db:
		a, b = trimZeros(a), trimZeros(b)
		if len(a) != len(b) {
			return sign(len(a) - len(b))
		}
		return compareText(a, b)
	case da:
		return 1
	case db:
		return -1
	}
	for k := 0; k < len(a) && k < len(b); k++ {
		if ca, cb := lower(a[k]), lower(b[k]); ca != cb {
			return sign(int(ca) - int(cb))
		}
	}
	return sign(len(a) - len(b))
}

func trimZeros(s string) string {
	for len(s) > 0 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

func compareText(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
