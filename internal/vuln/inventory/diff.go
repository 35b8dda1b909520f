package inventory

import (
	"cmp"
	"slices"
)

// Change is a package whose version changed between two inventories.
type Change struct {
	Name      string `json:"name"`
	Ecosystem string `json:"ecosystem,omitempty"`
	Arch      string `json:"arch,omitempty"`
	From      string `json:"from"`
	To        string `json:"to"`
}

type diffKey struct{ eco, name, arch string }

// Diff compares two inventories of one asset. A package is identified by
// Ecosystem, Name and Arch; its versions in each inventory are compared as
// sets. Where a package lost some versions and gained others, they are
// paired in sorted order as changes (From the old, To the new version);
// the versions left over are removed or added. Packages of one version that
// differ only in other fields (Location, PURL, …) count as one.
//
// added and removed hold every package of the versions added or removed,
// in inventory order; changed is sorted by Ecosystem, Name, Arch, From.
func Diff(old, new Inventory) (added, removed []Package, changed []Change) {
	oldV, newV := versions(old.Packages), versions(new.Packages)
	addedV := map[diffKey]map[string]bool{}
	removedV := map[diffKey]map[string]bool{}
	mark := func(m map[diffKey]map[string]bool, k diffKey, v string) {
		if m[k] == nil {
			m[k] = map[string]bool{}
		}
		m[k][v] = true
	}
	keys := map[diffKey]bool{}
	for k := range oldV {
		keys[k] = true
	}
	for k := range newV {
		keys[k] = true
	}
	for k := range keys {
		var gone, came []string
		for v := range oldV[k] {
			if !newV[k][v] {
				gone = append(gone, v)
			}
		}
		for v := range newV[k] {
			if !oldV[k][v] {
				came = append(came, v)
			}
		}
		slices.Sort(gone)
		slices.Sort(came)
		n := min(len(gone), len(came))
		for i := range n {
			changed = append(changed, Change{Name: k.name, Ecosystem: k.eco, Arch: k.arch, From: gone[i], To: came[i]})
		}
		for _, v := range gone[n:] {
			mark(removedV, k, v)
		}
		for _, v := range came[n:] {
			mark(addedV, k, v)
		}
	}
	pick := func(pkgs []Package, m map[diffKey]map[string]bool) []Package {
		var out []Package
		for _, p := range pkgs {
			if m[diffKey{p.Ecosystem, p.Name, p.Arch}][p.Version] {
				out = append(out, p)
			}
		}
		slices.SortFunc(out, comparePackages)
		return slices.Compact(out)
	}
	added, removed = pick(new.Packages, addedV), pick(old.Packages, removedV)
	slices.SortFunc(changed, func(a, b Change) int {
		return cmp.Or(cmp.Compare(a.Ecosystem, b.Ecosystem), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Arch, b.Arch), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	return added, removed, changed
}

func versions(pkgs []Package) map[diffKey]map[string]bool {
	m := map[diffKey]map[string]bool{}
	for _, p := range pkgs {
		k := diffKey{p.Ecosystem, p.Name, p.Arch}
		if m[k] == nil {
			m[k] = map[string]bool{}
		}
		m[k][p.Version] = true
	}
	return m
}
