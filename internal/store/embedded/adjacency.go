package embedded

import (
	"cmp"
	"iter"
	"slices"
	"sort"
	"strings"

	"riskgraph/internal/kg"
)

// adj is one relationship seen from one of its entities: the number of its record (see
// tables), so walks need no map lookups, the rank of its type, so a walk by type reads no
// record, and which end the entity is. The id and the far end follow from the record, so an
// entry never goes stale. A store holds two entries per relationship: at 12 bytes and no
// pointer each (they held the id, type and far end as strings before, 56 bytes and four
// pointers), a store of 5M relationships is 440 MB smaller, and the collector never scans
// an adjacency list.
type adj struct {
	rel  uint32 // the record's number
	far  int32  // the far end's entityRec.seq, so a whole-graph walk need not read its record
	rank uint8  // of the type, in typeOrder
	in   bool   // the entity is the relationship's To
}

// rec is the relationship's record.
func (t *tables) recOf(a adj) *relRec { return t.rec(a.rel) }

// id is the relationship's id.
func (t *tables) idOf(a adj) string { return t.rec(a.rel).id(t) }

// other is the id of the entity at the far end.
func (t *tables) other(a adj) string { return t.ents[a.far].ident }

// farRec is the record of the entity at the far end.
func (t *tables) farRec(a adj) *entityRec { return t.ents[a.far] }

// typeOrder is the relationship types in the order of their names: adjacency lists are in
// that order, so the relationships leaving an entity are in id order (from-TYPE->to).
var typeOrder = slices.Sorted(slices.Values(kg.RelTypes))

// typeIndex is, by rank, the type's place in kg.RelTypes.
var typeIndex = func() []int {
	out := make([]int, len(typeOrder))
	for r, t := range typeOrder {
		out[r] = slices.Index(kg.RelTypes, t)
	}
	return out
}()

// typeRank is t's place in typeOrder, or false for a type riskgraph does not know.
func typeRank(t kg.RelType) (uint8, bool) {
	i, ok := slices.BinarySearch(typeOrder, t)
	return uint8(i), ok
}

// An adjacency list (the relationships at one entity in one direction) is ordered by type,
// then by id: the relationships of one type are one run, found by binary search. A walk over
// a few types then reads only those runs, not every relationship of a hub, and a page of one
// type is one run in id order.
func (t *tables) adjOrder(a, b adj) int {
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	return t.compareIDs(t.rec(a.rel), t.rec(b.rel))
}

func (t *tables) insertAdj(list []adj, a adj) []adj {
	i, found := slices.BinarySearchFunc(list, a, t.adjOrder)
	if found {
		return list
	}
	return slices.Insert(list, i, a)
}

// ofType returns the run of list with type t.
func ofType(list []adj, t kg.RelType) []adj {
	rank, ok := typeRank(t)
	if !ok {
		return nil
	}
	return ofRank(list, rank)
}

// ofRank returns the run of list whose type has this rank.
func ofRank(list []adj, rank uint8) []adj {
	lo := firstFrom(list, int(rank))
	return list[lo : lo+firstFrom(list[lo:], int(rank)+1)]
}

// firstFrom is the index of list's first entry of rank r or above: a binary search without
// sort.Search's closure, as a walk searches every entity's lists once per type it takes.
func firstFrom(list []adj, r int) int {
	lo, hi := 0, len(list)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if int(list[m].rank) < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// runs splits list into its runs of one type; with types, only the runs of those types.
func runs(list []adj, types []kg.RelType) [][]adj {
	var out [][]adj
	if len(types) > 0 {
		for _, t := range uniqueTypes(types) {
			if r := ofType(list, t); len(r) > 0 {
				out = append(out, r)
			}
		}
		return out
	}
	for len(list) > 0 {
		t := list[0].rank
		n := sort.Search(len(list), func(i int) bool { return list[i].rank != t })
		out, list = append(out, list[:n]), list[n:]
	}
	return out
}

func uniqueTypes(ts []kg.RelType) []kg.RelType {
	if len(ts) < 2 {
		return ts
	}
	return slices.Compact(slices.Sorted(slices.Values(ts)))
}

// adjacentRuns returns the runs of the relationships at an entity in a direction (Both: out
// and in), of the given types or of all.
func (s *Store) adjacentRuns(id string, dir kg.Direction, types []kg.RelType) [][]adj {
	e := s.ents[id]
	if e == nil {
		return nil
	}
	switch dir {
	case kg.Out, kg.In:
		return runs(e.adjacent(dir), types)
	}
	return append(runs(e.out, types), runs(e.in, types)...)
}

// byID yields the entries of rs, each run sorted by id, in id order, from the first id after
// after ("" = from the start). No id is in two runs.
func (t *tables) byID(rs [][]adj, after string) iter.Seq[adj] {
	return func(yield func(adj) bool) {
		heads := make([]int, len(rs))
		if after != "" {
			for i, r := range rs {
				heads[i] = sort.Search(len(r), func(j int) bool { return t.compareID(t.rec(r[j].rel), after) > 0 })
			}
		}
		if len(rs) == 1 { // one run: no merging
			for _, a := range rs[0][heads[0]:] {
				if !yield(a) {
					return
				}
			}
			return
		}
		for {
			best := -1
			for i, r := range rs {
				if heads[i] < len(r) && (best < 0 || t.compareIDs(t.rec(r[heads[i]].rel), t.rec(rs[best][heads[best]].rel)) < 0) {
					best = i
				}
			}
			if best < 0 {
				return
			}
			a := rs[best][heads[best]]
			heads[best]++
			if !yield(a) {
				return
			}
		}
	}
}

// rel is the record of the relationship with this id, or nil. An id names the relationship's
// From, type and To (from-TYPE->to, then #obligation for COMPLIED_WITH), so the record is
// found in its From's adjacency, in the run of its type, by binary search: the store keeps
// no map of every relationship id, which at 5M relationships was 210 MB. An entity id may
// itself hold "-TYPE->", so every place the id could split is tried.
func (s *Store) rel(id string) *relRec {
	for at := 0; ; {
		i := strings.Index(id[at:], "->")
		if i < 0 {
			return nil
		}
		arrow := at + i
		if dash := strings.LastIndexByte(id[:arrow], '-'); dash > 0 {
			if rank, ok := typeRank(kg.RelType(id[dash+1 : arrow])); ok {
				if from := s.ents[id[:dash]]; from != nil {
					run := ofRank(from.out, rank)
					j, found := slices.BinarySearchFunc(run, id, func(a adj, id string) int { return s.tab.compareID(s.tab.rec(a.rel), id) })
					if found {
						return s.tab.rec(run[j].rel)
					}
				}
			}
		}
		at = arrow + 2
	}
}
