package detect

import (
	"slices"
	"strings"
)

// automaton is an Aho–Corasick automaton over bytes: one pass over a field
// value finds every occurrence of every needle of every rule on that
// field. The root's transitions are a dense table (most bytes of a value
// start no needle); other states keep their few transitions as a sorted
// list and fall back along failure links, which keeps the memory
// proportional to the needles' total length (a dense table for SigmaHQ's
// command-line needles alone took ~100 MB).
type automaton struct {
	root [256]int32
	// dense[s] is the row of rows holding state s's complete transition
	// function (failures resolved), -1 for a sparse state: states with
	// many children, where most of the scanning happens.
	dense []int32
	rows  []int32
	// Transitions of state s (s > 0): bytes edgeByte[edgeStart[s]:edgeStart[s+1]],
	// sorted, to edgeNext[…].
	edgeStart []int32
	edgeByte  []byte
	edgeNext  []int32
	fail      []int32
	// dict[s] is the nearest state on s's failure chain with needles of
	// its own (0: none).
	dict []int32
	// outs[outStart[s]:outStart[s+1]] are the needles ending at state s
	// itself; those of its suffixes are found along dict.
	outStart []int32
	outs     []int32
	lens     []int32 // needle lengths
	// report[s]: a needle ends at s or on its dictionary chain, so a scan
	// reaching s has something to report (one load per byte otherwise).
	report []bool
}

// buildAutomaton compiles needles (non-empty; duplicates allowed, each
// keeps its index).
func buildAutomaton(needles []string) *automaton {
	a := &automaton{lens: make([]int32, len(needles))}
	type triple struct {
		from int32
		b    byte
		to   int32
	}
	// The trie, built from the needles in sorted order: each needle
	// shares its path with the previous one up to their common prefix,
	// and a state's children are created in increasing byte order.
	sorted := make([]int32, len(needles))
	for i := range sorted {
		sorted[i] = int32(i)
	}
	slices.SortFunc(sorted, func(x, y int32) int { return strings.Compare(needles[x], needles[y]) })
	var edges []triple
	stateOf := make([]int32, len(needles))
	path := []int32{0} // states along the previous needle
	prev := ""
	ns := int32(1)
	for _, i := range sorted {
		n := needles[i]
		a.lens[i] = int32(len(n))
		lcp := 0
		for lcp < len(n) && lcp < len(prev) && n[lcp] == prev[lcp] {
			lcp++
		}
		path = path[:lcp+1]
		s := path[lcp]
		for j := lcp; j < len(n); j++ {
			edges = append(edges, triple{s, n[j], ns})
			s = ns
			ns++
			path = append(path, s)
		}
		stateOf[i] = s
		prev = n
	}
	// Group the transitions by state (counting sort; within a state they
	// are already in byte order).
	a.edgeStart = make([]int32, ns+1)
	for _, e := range edges {
		if e.from != 0 {
			a.edgeStart[e.from+1]++
		} else {
			a.root[e.b] = e.to // the root is the dense table
		}
	}
	for st := int32(1); st <= ns; st++ {
		a.edgeStart[st] += a.edgeStart[st-1]
	}
	a.edgeByte = make([]byte, a.edgeStart[ns])
	a.edgeNext = make([]int32, a.edgeStart[ns])
	fill := slices.Clone(a.edgeStart[:ns])
	for _, e := range edges {
		if e.from == 0 {
			continue
		}
		a.edgeByte[fill[e.from]] = e.b
		a.edgeNext[fill[e.from]] = e.to
		fill[e.from]++
	}

	// Own outputs, grouped by state.
	order := make([]int32, len(needles))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(x, y int32) int { return int(stateOf[x] - stateOf[y]) })
	a.outStart = make([]int32, ns+1)
	a.outs = make([]int32, 0, len(needles))
	k := 0
	for s := int32(0); s < ns; s++ {
		a.outStart[s] = int32(len(a.outs))
		for ; k < len(order) && stateOf[order[k]] == s; k++ {
			a.outs = append(a.outs, order[k])
		}
	}
	a.outStart[ns] = int32(len(a.outs))

	// Failure and dictionary links, breadth-first: a state's links are
	// complete before its children's.
	a.dense = make([]int32, ns)
	for i := range a.dense {
		a.dense[i] = -1
	}
	a.fail = make([]int32, ns)
	a.dict = make([]int32, ns)
	queue := make([]int32, 0, ns)
	for b := range 256 {
		if t := a.root[b]; t != 0 {
			queue = append(queue, t)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		for i := a.edgeStart[s]; i < a.edgeStart[s+1]; i++ {
			t := a.edgeNext[i]
			f := a.step(a.fail[s], a.edgeByte[i])
			a.fail[t] = f
			if a.outStart[f] != a.outStart[f+1] {
				a.dict[t] = f
			} else {
				a.dict[t] = a.dict[f]
			}
			queue = append(queue, t)
		}
	}

	a.report = make([]bool, ns)
	for st := range ns {
		a.report[st] = st != 0 && (a.outStart[st] != a.outStart[st+1] || a.dict[st] != 0)
	}

	// Dense rows for the busiest states; a small automaton is made a
	// complete table (one lookup per byte).
	minChildren := int32(denseChildren)
	if ns <= denseStates {
		minChildren = 0
	}
	for _, st := range queue {
		if a.edgeStart[st+1]-a.edgeStart[st] < minChildren {
			continue
		}
		row := make([]int32, 256)
		for b := range 256 {
			row[b] = a.step(st, byte(b))
		}
		a.dense[st] = int32(len(a.rows) / 256)
		a.rows = append(a.rows, row...)
	}
	return a
}

// denseChildren is the number of children from which a state gets a dense
// row.
const denseChildren = 2

// denseStates is the size up to which an automaton is a complete table
// (1 KiB per state).
const denseStates = 1024

// step returns the state after reading b in state s.
func (a *automaton) step(s int32, b byte) int32 {
	for s != 0 {
		if r := a.dense[s]; r >= 0 {
			return a.rows[int(r)<<8|int(b)]
		}
		lo, hi := a.edgeStart[s], a.edgeStart[s+1]
		for i := lo; i < hi; i++ {
			if eb := a.edgeByte[i]; eb >= b {
				if eb == b {
					return a.edgeNext[i]
				}
				break
			}
		}
		s = a.fail[s]
	}
	return a.root[b]
}

// states is the number of states.
func (a *automaton) states() int { return len(a.outStart) - 1 }

// bytes is the approximate memory the automaton holds.
func (a *automaton) bytes() int {
	return 4*(len(a.root)+len(a.dense)+len(a.rows)+len(a.edgeStart)+len(a.edgeNext)+len(a.fail)+len(a.dict)+len(a.outStart)+len(a.outs)+len(a.lens)) + len(a.edgeByte) + len(a.report)
}

// scan calls hit for every occurrence of a needle in s, with the needle's
// index and the occurrence's end offset (exclusive).
func (a *automaton) scan(s string, hit func(needle int32, end int)) {
	st := int32(0)
	for i := 0; i < len(s); i++ {
		st = a.step(st, s[i])
		for x := st; x != 0; x = a.dict[x] {
			for _, n := range a.outs[a.outStart[x]:a.outStart[x+1]] {
				hit(n, i+1)
			}
		}
	}
}
