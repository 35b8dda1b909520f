package spool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// Checkpoint file (docs/spool.md): 36 bytes,
//
//	magic    "KHSPCKP1"
//	segment  uint64 LE
//	offset   uint64 LE
//	seq      uint64 LE  sequence number of the last committed record
//	crc      uint32 LE  CRC32C of the 32 bytes before it
//
// written to checkpoint.tmp, fsynced, renamed over checkpoint, and the
// directory fsynced.
const (
	checkpointName = "checkpoint"
	checkpointTmp  = "checkpoint.tmp"
	checkpointSize = 36
)

var checkpointMagic = []byte("KHSPCKP1")

type checkpoint struct {
	pos Pos
	seq uint64
}

func (c checkpoint) marshal() []byte {
	b := make([]byte, 0, checkpointSize)
	b = append(b, checkpointMagic...)
	b = binary.LittleEndian.AppendUint64(b, c.pos.Segment)
	b = binary.LittleEndian.AppendUint64(b, uint64(c.pos.Offset))
	b = binary.LittleEndian.AppendUint64(b, c.seq)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

var errBadCheckpoint = errors.New("bad checkpoint")

func parseCheckpoint(b []byte) (checkpoint, error) {
	if len(b) != checkpointSize || !bytes.Equal(b[:8], checkpointMagic) ||
		crc32.Checksum(b[:32], castagnoli) != binary.LittleEndian.Uint32(b[32:]) {
		return checkpoint{}, errBadCheckpoint
	}
	c := checkpoint{
		pos: Pos{Segment: binary.LittleEndian.Uint64(b[8:]), Offset: int64(binary.LittleEndian.Uint64(b[16:]))},
		seq: binary.LittleEndian.Uint64(b[24:]),
	}
	if c.pos.Offset < 0 {
		return checkpoint{}, errBadCheckpoint
	}
	return c, nil
}

// readCheckpoint returns the checkpoint in dir; found is false when there
// is none. A damaged checkpoint is an errBadCheckpoint error.
func readCheckpoint(dir string) (c checkpoint, found bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, checkpointName))
	if errors.Is(err, os.ErrNotExist) {
		return checkpoint{}, false, nil
	}
	if err != nil {
		return checkpoint{}, false, fmt.Errorf("read checkpoint: %w", err)
	}
	c, err = parseCheckpoint(b)
	if err != nil {
		return checkpoint{}, true, err
	}
	return c, true, nil
}

// writeCheckpoint replaces the checkpoint atomically and durably.
func writeCheckpoint(dir string, c checkpoint) error {
	tmp := filepath.Join(dir, checkpointTmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	_, err = f.Write(c.marshal())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, checkpointName))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

// syncDir fsyncs a directory so that created, renamed and removed entries
// are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
