package ransom

import (
	"errors"
	"fmt"
	"io"
)

// BlockSize is the size of each block read by [Sample] and [SampleHead].
const BlockSize = 16 << 10

// SampleSize is the largest sample [Sample] and [SampleHead] return: three
// blocks, so that sampling a 40 GiB database costs the same 48 KiB as a
// 48 KiB letter.
const SampleSize = 3 * BlockSize

// Sample reads a bounded sample of a file of the given size: the whole
// file when it is at most [SampleSize] bytes, otherwise three blocks of
// [BlockSize] bytes from its head, its middle and its tail, concatenated.
// The head carries the format's magic number and is what "fast" ransomware
// modes encrypt first; the middle and tail keep one block of prepended or
// appended ransomware metadata from dominating the statistics.
//
// A reader shorter than size is an error wrapping io.ErrUnexpectedEOF.
func Sample(r io.ReaderAt, size int64) ([]byte, error) {
	if size < 0 {
		return nil, fmt.Errorf("sample: negative size %d", size)
	}
	if size <= SampleSize {
		buf := make([]byte, size)
		if err := readFull(r, buf, 0); err != nil {
			return nil, err
		}
		return buf, nil
	}
	buf := make([]byte, SampleSize)
	offsets := [3]int64{0, size/2 - BlockSize/2, size - BlockSize}
	for i, off := range offsets {
		if err := readFull(r, buf[i*BlockSize:(i+1)*BlockSize], off); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// readFull fills buf from r at off.
func readFull(r io.ReaderAt, buf []byte, off int64) error {
	n, err := r.ReadAt(buf, off)
	if n == len(buf) {
		return nil // io.ReaderAt may report io.EOF with a full read at the end
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("sample: read %d bytes at %d: got %d: %w", len(buf), off, n, err)
}

// SampleHead reads the first [SampleSize] bytes of a stream (or all of a
// shorter one). It is the sampler for sources without random access, such
// as the output of `restic dump`: the caller stops the command once
// SampleHead returns, so a large file costs one sample, not a full read.
// A head-only sample misses a file whose head is intact but whose body was
// encrypted (see the package documentation).
func SampleHead(r io.Reader) ([]byte, error) {
	buf := make([]byte, SampleSize)
	n, err := io.ReadFull(r, buf)
	switch {
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return buf[:n], nil
	default:
		return nil, fmt.Errorf("sample head: %w", err)
	}
}
