package cpe

import (
	"fmt"
	"slices"
	"strings"

	"khien.vn/khien/internal/vuln/advisory"
)

// Configurations is the applicability statement of one NVD CVE record,
// compiled from its flattened cpeMatches (advisory.CPEMatch) for
// evaluation. It is immutable and safe for concurrent use.
type Configurations struct {
	criteria   []Criterion
	vulnerable []bool
	configs    []configuration
}

type configuration struct {
	and   bool
	nodes []node
}

type node struct {
	and, negate bool
	matches     []int // indexes into criteria
}

// Hit is one vulnerable cpeMatch met by one of the names evaluated: Match
// indexes the cpeMatches given to Compile, Target the names given to
// Evaluate.
type Hit struct {
	Match  int
	Target int
}

// Compile compiles the cpeMatches of one CVE, as advisory.ParseNVD
// flattens them (Config and Node index them; the operators and Negate are
// repeated on each). An empty operator is OR. Every criteria string must
// parse (Parse); the error names the first that does not.
func Compile(ms []advisory.CPEMatch) (*Configurations, error) {
	c := &Configurations{criteria: make([]Criterion, len(ms)), vulnerable: make([]bool, len(ms))}
	type place struct{ config, node int }
	configAt := map[int]int{}
	nodeAt := map[place]int{}
	for i, m := range ms {
		n, err := Parse(m.Criteria)
		if err != nil {
			return nil, fmt.Errorf("cpe: configuration %d, node %d: %w", m.Config, m.Node, err)
		}
		c.criteria[i] = Criterion{Name: n, VersionStartIncluding: m.VersionStartIncluding,
			VersionStartExcluding: m.VersionStartExcluding, VersionEndIncluding: m.VersionEndIncluding,
			VersionEndExcluding: m.VersionEndExcluding}
		c.vulnerable[i] = m.Vulnerable
		cand, err := isAnd(m.ConfigOperator)
		if err != nil {
			return nil, fmt.Errorf("cpe: configuration %d: %w", m.Config, err)
		}
		nand, err := isAnd(m.NodeOperator)
		if err != nil {
			return nil, fmt.Errorf("cpe: configuration %d, node %d: %w", m.Config, m.Node, err)
		}
		ci, ok := configAt[m.Config]
		if !ok {
			ci = len(c.configs)
			configAt[m.Config] = ci
			c.configs = append(c.configs, configuration{and: cand})
		}
		cfg := &c.configs[ci]
		ni, ok := nodeAt[place{m.Config, m.Node}]
		if !ok {
			ni = len(cfg.nodes)
			nodeAt[place{m.Config, m.Node}] = ni
			cfg.nodes = append(cfg.nodes, node{and: nand, negate: m.Negate})
		}
		cfg.nodes[ni].matches = append(cfg.nodes[ni].matches, i)
	}
	return c, nil
}

func isAnd(op string) (bool, error) {
	switch strings.ToUpper(op) {
	case "", "OR":
		return false, nil
	case "AND":
		return true, nil
	}
	return false, fmt.Errorf("operator %q is not AND or OR", op)
}

// Criterion returns the i-th cpeMatch given to Compile as a Criterion.
func (c *Configurations) Criterion(i int) Criterion { return c.criteria[i] }

// Evaluate evaluates the configurations against the names known for one
// asset (its software and its platform) and returns the hits: for every
// configuration that is true, the vulnerable cpeMatches of its true,
// not negated nodes, each with every name that meets it, in the order of
// the cpeMatches then of the names. No hits: the CVE does not apply.
//
// A cpeMatch is true when a name meets it (Criterion.Matches); a node is
// the AND or OR of its cpeMatches, inverted when negated; a configuration
// the AND or OR of its nodes.
func (c *Configurations) Evaluate(names []Name) []Hit {
	met := make([][]int, len(c.criteria)) // criterion → names meeting it
	for i, cr := range c.criteria {
		for j, n := range names {
			if cr.Matches(n) {
				met[i] = append(met[i], j)
			}
		}
	}
	var hits []Hit
	for _, cfg := range c.configs {
		truth := make([]bool, len(cfg.nodes))
		for k, nd := range cfg.nodes {
			v := nd.and
			for _, m := range nd.matches {
				if nd.and {
					v = v && len(met[m]) > 0
				} else {
					v = v || len(met[m]) > 0
				}
			}
			truth[k] = v != nd.negate
		}
		ok := cfg.and
		for _, t := range truth {
			if cfg.and {
				ok = ok && t
			} else {
				ok = ok || t
			}
		}
		if !ok {
			continue
		}
		for k, nd := range cfg.nodes {
			if !truth[k] || nd.negate {
				continue
			}
			for _, m := range nd.matches {
				if !c.vulnerable[m] {
					continue
				}
				for _, j := range met[m] {
					h := Hit{Match: m, Target: j}
					if !slices.Contains(hits, h) {
						hits = append(hits, h)
					}
				}
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b Hit) int {
		if a.Match != b.Match {
			return a.Match - b.Match
		}
		return a.Target - b.Target
	})
	return hits
}
