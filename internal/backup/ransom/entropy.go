package ransom

import "math"

// histogram counts each byte value of p.
func histogram(p []byte) [256]int {
	// Four interleaved tables break the store-to-load dependency between
	// consecutive equal bytes; about twice as fast on long runs.
	var h [4][256]int
	i := 0
	for ; i+4 <= len(p); i += 4 {
		h[0][p[i]]++
		h[1][p[i+1]]++
		h[2][p[i+2]]++
		h[3][p[i+3]]++
	}
	for ; i < len(p); i++ {
		h[0][p[i]]++
	}
	for b := range 256 {
		h[0][b] += h[1][b] + h[2][b] + h[3][b]
	}
	return h[0]
}

// entropyOf is the Shannon entropy, in bits per byte, of a histogram of n
// bytes.
func entropyOf(h [256]int, n int) float64 {
	if n == 0 {
		return 0
	}
	total := float64(n)
	var e float64
	for _, c := range h {
		if c == 0 {
			continue
		}
		q := float64(c) / total
		e -= q * math.Log2(q)
	}
	return min(max(e, 0), 8)
}

// chiSquareOf is Pearson's χ² statistic of a histogram of n bytes against
// the uniform distribution (255 degrees of freedom).
func chiSquareOf(h [256]int, n int) float64 {
	if n == 0 {
		return 0
	}
	expected := float64(n) / 256
	var x float64
	for _, c := range h {
		d := float64(c) - expected
		x += d * d
	}
	return x / expected
}

// Entropy returns the Shannon entropy of p in bits per byte: 0 for empty
// or constant input, 8 at most (every byte value equally frequent).
// English or Vietnamese text scores about 4–5.5, executables 5–6.5,
// compressed and encrypted data 7.9 and more over a few KiB.
//
// The estimate is biased low on short inputs: uniformly random bytes
// score about 8 − 184/len(p) (7.82 over 1 KiB, 7.99 over 16 KiB).
func Entropy(p []byte) float64 {
	return entropyOf(histogram(p), len(p))
}

// ChiSquare returns Pearson's χ² statistic of the byte values of p
// against the uniform distribution. For uniformly random bytes it follows
// a χ² law with 255 degrees of freedom whatever len(p) (mean 255,
// standard deviation 22.6); for any other source it grows in proportion to
// len(p). Empty input gives 0.
func ChiSquare(p []byte) float64 {
	return chiSquareOf(histogram(p), len(p))
}
