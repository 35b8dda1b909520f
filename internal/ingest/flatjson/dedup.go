package flatjson

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
)

// Duplicate keys. Within one object a later member replaces an earlier one
// with the same key, subtree and all, as the map assignment in
// encoding/json does. object finds them while parsing: the first
// smallObject members of an object go through a Bloom filter of 1024 bits
// and, on a hit, a scan of the earlier siblings (at most smallObject); the
// members after those, in the rare large object, go through a hash table
// keyed by the object and a seeded hash of the key, so that decoding stays
// linear in the size of the line whatever the keys.

// smallObject is the number of members of an object checked with the Bloom
// filter and a scan.
const smallObject = 64

// A slot of the table of keys of large objects.
type slot struct {
	hash  uint64
	gen   uint32 // the slot is in use when gen is Decoder.gen
	first uint32 // the object's first member, which identifies it
	node  uint32 // the last member with this key
}

// keyHash maps a key to one of 1024 bits.
func keyHash(k []byte) uint64 {
	n := len(k)
	var x uint64
	switch {
	case n >= 8:
		x = binary.LittleEndian.Uint64(k) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(k[n-8:]), 29)
	case cap(k) >= 8: // a short key in a longer line: load and mask
		x = binary.LittleEndian.Uint64(k[:8]) & (1<<(8*n) - 1)
	default:
		for i, c := range k {
			x |= uint64(c) << (8 * i)
		}
	}
	return ((x ^ uint64(n)) * 0x9e3779b97f4a7c15) >> 54
}

// replace marks dead the members among d.nodes[first:last] (siblings of
// d.nodes[last]) whose key is key: the last one wins.
func (d *Decoder) replace(first, last int, key []byte) {
	for j := first; j < last; j = int(d.nodes[j].end) {
		n := &d.nodes[j]
		if int(n.klen) == len(key) && n.flags&flagDead == 0 && bytes.Equal(d.keyOf(n), key) {
			n.flags |= flagDead
		}
	}
}

// indexSiblings puts the live members among d.nodes[first:last] in the
// table, when an object outgrows smallObject.
func (d *Decoder) indexSiblings(first, last int) {
	for j := first; j < last; j = int(d.nodes[j].end) {
		if n := &d.nodes[j]; n.flags&flagDead == 0 {
			d.dedup(first, j, d.keyOf(n))
		}
	}
}

// dedup records member d.nodes[idx] with key key of the object whose first
// member is d.nodes[first] in the table, marking dead the member it
// replaces if any.
func (d *Decoder) dedup(first, idx int, key []byte) {
	if (d.used+1)*2 > len(d.slots) {
		d.growTable()
	}
	h := maphash.Bytes(d.seed, key) ^ uint64(first)*0x9e3779b97f4a7c15
	mask := len(d.slots) - 1
	for p := int(h) & mask; ; p = (p + 1) & mask {
		s := &d.slots[p]
		if s.gen != d.gen {
			*s = slot{hash: h, gen: d.gen, first: uint32(first), node: uint32(idx)}
			d.used++
			return
		}
		if s.hash == h && s.first == uint32(first) && bytes.Equal(d.keyOf(&d.nodes[s.node]), key) {
			d.nodes[s.node].flags |= flagDead
			s.node = uint32(idx)
			return
		}
	}
}

// growTable doubles the table (creating it on first use), keeping the
// slots of the current document.
func (d *Decoder) growTable() {
	if d.gen == 0 {
		d.gen = 1
		d.seed = maphash.MakeSeed()
	}
	old := d.slots
	d.slots = make([]slot, max(1024, 2*len(old)))
	mask := len(d.slots) - 1
	for _, s := range old {
		if s.gen != d.gen {
			continue
		}
		p := int(s.hash) & mask
		for d.slots[p].gen == d.gen {
			p = (p + 1) & mask
		}
		d.slots[p] = s
	}
}

// resetTable empties the table for a new document.
func (d *Decoder) resetTable() {
	if d.used == 0 {
		return
	}
	d.used = 0
	d.gen++
	if d.gen == 0 { // wrapped: old slots could look used
		clear(d.slots)
		d.gen = 1
	}
}
