package correlate

import "math"

// unset marks an empty time slot (a temporal rule not seen, a
// temporal_ordered chain not reached).
const unset = math.MinInt64

// group is the state of one group of one correlation rule. Times are
// Unix nanoseconds.
type group struct {
	key        string // encoded group-by values (see appendKey)
	prev, next int32  // list links (see groupTable)
	// minT and maxT are the earliest and latest observation times since
	// the group (re)started; a deferred rule's window is [minT, minT+span].
	minT, maxT int64
	// count: deferred event_count, the events in the window. mask:
	// deferred temporal, the rules seen. head: eager event_count, the
	// ring's oldest element once full.
	count int64
	mask  uint64
	head  int
	// times: eager event_count, the most recent timestamps (sorted ring);
	// temporal, each rule's last time; temporal_ordered, per position and
	// chain length the (start, end) of the chain with the latest start.
	times []int64
	vals  []seenVal // value_count: distinct values (hashed), last seen
	refs  []seenRef // the most recent observations, oldest first
}

type seenVal struct {
	h uint64
	t int64
}

type seenRef struct {
	t   int64
	ref uint64
}

// groupTable holds a rule's groups in a slab, indexed by key and linked
// in a list: eager rules move a group to the back on every observation
// (least recently observed first); deferred rules when its window opens
// (oldest window first). Eviction and Flush take groups from the front.
type groupTable struct {
	index      map[string]int32
	slots      []group
	free       []int32
	head, tail int32
	max        int

	evicted, late, fired uint64
}

func (t *groupTable) init(max int) {
	t.index = map[string]int32{}
	t.head, t.tail = -1, -1
	t.max = max
}

func (t *groupTable) len() int { return len(t.index) }

// add creates the group key, evicting the oldest group first if the
// table is full. The new group's slices are empty but keep the capacity
// of the slot's previous group.
func (t *groupTable) add(key string) int32 {
	if len(t.index) >= t.max {
		t.remove(t.head)
		t.evicted++
	}
	var i int32
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		t.slots = append(t.slots, group{})
		i = int32(len(t.slots) - 1)
	}
	g := &t.slots[i]
	*g = group{key: key, times: g.times[:0], vals: g.vals[:0], refs: g.refs[:0]}
	t.index[key] = i
	t.pushBack(i)
	return i
}

// remove deletes group i.
func (t *groupTable) remove(i int32) {
	g := &t.slots[i]
	t.unlink(i)
	delete(t.index, g.key)
	g.key = ""
	t.free = append(t.free, i)
}

func (t *groupTable) pushBack(i int32) {
	g := &t.slots[i]
	g.prev, g.next = t.tail, -1
	if t.tail >= 0 {
		t.slots[t.tail].next = i
	} else {
		t.head = i
	}
	t.tail = i
}

func (t *groupTable) unlink(i int32) {
	g := &t.slots[i]
	if g.prev >= 0 {
		t.slots[g.prev].next = g.next
	} else {
		t.head = g.next
	}
	if g.next >= 0 {
		t.slots[g.next].prev = g.prev
	} else {
		t.tail = g.prev
	}
	g.prev, g.next = -1, -1
}

func (t *groupTable) moveBack(i int32) {
	if t.tail == i {
		return
	}
	t.unlink(i)
	t.pushBack(i)
}
