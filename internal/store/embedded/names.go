package embedded

import (
	"cmp"
	"slices"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// nameIndex orders entities by name for List by name. It holds one entry for each distinct
// name key (store.NameOrderKey) among an entity's rows, so a page read at any moment walks
// the entries in order and keeps an entity only at the entry of its name at that moment: a
// renamed entity sits at its old name for old dates and at its new one for later dates.
type nameIndex struct {
	lists map[kg.Kind][]nameEntry // per kind, sorted (a list of every kind is their merge)
	// drop and add are the changes of the index call under way (see change and flush).
	drop, add []nameEntry
}

// nameEntry is one name key of one entity.
type nameEntry struct{ key, id string }

func entryOrder(a, b nameEntry) int {
	return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.id, b.id))
}

func newNameIndex() *nameIndex { return &nameIndex{lists: map[kg.Kind][]nameEntry{}} }

// nameKeys are the distinct name keys of rs, sorted.
func nameKeys(rs []kg.Entity) []string {
	keys := make([]string, len(rs))
	for i, e := range rs {
		keys[i] = store.NameOrderKey(e.Name)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// change notes that entity id's rows went from old (nil for a new entity) to rs; flush
// applies the changes.
func (x *nameIndex) change(id string, old, rs []kg.Entity) {
	was, now := nameKeys(old), nameKeys(rs)
	for _, k := range was {
		if _, ok := slices.BinarySearch(now, k); !ok {
			x.drop = append(x.drop, nameEntry{k, id})
		}
	}
	for _, k := range now {
		if _, ok := slices.BinarySearch(was, k); !ok {
			x.add = append(x.add, nameEntry{k, id})
		}
	}
}

// flush applies the noted changes to every list they touch. A few go in one by one; many (a
// load, a bulk write) are sorted once and merged into each list in one pass, as inserting
// one at a time moves a large list's tail on every insert.
func (x *nameIndex) flush() {
	if len(x.drop)+len(x.add) == 0 {
		return
	}
	type change struct{ drop, add []nameEntry }
	byKind := map[kg.Kind]*change{}
	for i, list := range [][]nameEntry{x.drop, x.add} {
		for _, en := range list {
			k, _ := kg.KindOfID(en.id)
			c := byKind[k]
			if c == nil {
				c = &change{}
				byKind[k] = c
			}
			if i == 0 {
				c.drop = append(c.drop, en)
			} else {
				c.add = append(c.add, en)
			}
		}
	}
	for k, c := range byKind {
		x.lists[k] = applyChanges(x.lists[k], c.drop, c.add)
	}
	x.drop, x.add = nil, nil
}

// applyChanges removes drop from and inserts add into the sorted list.
func applyChanges(list, drop, add []nameEntry) []nameEntry {
	if len(drop)+len(add) <= bulkIndex {
		for _, en := range drop {
			if i, ok := slices.BinarySearchFunc(list, en, entryOrder); ok {
				list = slices.Delete(list, i, i+1)
			}
		}
		for _, en := range add {
			if i, ok := slices.BinarySearchFunc(list, en, entryOrder); !ok {
				list = slices.Insert(list, i, en)
			}
		}
		return list
	}
	slices.SortFunc(drop, entryOrder)
	slices.SortFunc(add, entryOrder)
	out := make([]nameEntry, 0, len(list)+len(add)-len(drop))
	i, j := 0, 0
	for i < len(list) || j < len(add) {
		var en nameEntry
		if j == len(add) || (i < len(list) && entryOrder(list[i], add[j]) <= 0) {
			en = list[i]
			i++
		} else {
			en = add[j]
			j++
		}
		if _, gone := slices.BinarySearchFunc(drop, en, entryOrder); gone {
			continue
		}
		if n := len(out); n > 0 && out[n-1] == en {
			continue
		}
		out = append(out, en)
	}
	return out
}

// walk calls fn with the entries of kind ("" for every kind, the kinds' lists merged) in
// order, from the first after the cursor key of p, until fn returns false.
func (x *nameIndex) walk(kind kg.Kind, p store.Page, fn func(en nameEntry) bool) {
	var lists [][]nameEntry
	for k, list := range x.lists {
		if kind == "" || k == kind {
			lists = append(lists, list[after(list, p):])
		}
	}
	for {
		next := -1
		for i, list := range lists {
			if len(list) > 0 && (next < 0 || entryOrder(list[0], lists[next][0]) < 0) {
				next = i
			}
		}
		if next < 0 {
			return
		}
		en := lists[next][0]
		lists[next] = lists[next][1:]
		if !fn(en) {
			return
		}
	}
}

// after is the index in list of the first entry after the cursor key of p (0 without one).
func after(list []nameEntry, p store.Page) int {
	if p.Key == nil {
		return 0
	}
	i, found := slices.BinarySearchFunc(list, nameEntry{p.Key[0], p.Key[1]}, entryOrder)
	if found {
		i++
	}
	return i
}
