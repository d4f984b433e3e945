package match

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strings"
)

// index is what a store does with Keys, in memory: a posting list per key, retrieval by
// the sum of KeyWeight over shared keys, and document frequencies for IDF. The posting
// lists live in one flat array found through a map from a 64-bit hash of the key, so the
// index holds no pointers for the garbage collector to scan.
type index struct {
	targets []Target
	seed    maphash.Seed
	spans   map[uint64]span // key hash → its posting list in postings
	post    []int32
	byID    map[string]int32
}

type span struct{ off, n uint32 }

func (ix *index) postings(key string) []int32 {
	sp := ix.spans[maphash.String(ix.seed, key)]
	return ix.post[sp.off : sp.off+sp.n]
}

// maxPosting is the posting-list length above which a key is skipped at retrieval: such a
// key is shared by so many entities that it says almost nothing.
const maxPosting = 50_000

func newIndex(ts []Target) *index {
	ix := &index{targets: ts, seed: maphash.MakeSeed(), byID: make(map[string]int32, len(ts))}
	// First the (key hash, target) pairs, then sorted into posting lists.
	type entry struct {
		h uint64
		i int32
	}
	var entries []entry
	var keys []string
	for i, t := range ts {
		ix.byID[strings.ToLower(t.ID)] = int32(i)
		keys = keys[:0]
		for _, s := range append([]string{t.Name}, t.Aliases...) {
			keys = append(keys, Keys(s)...)
		}
		slices.Sort(keys)
		for _, k := range slices.Compact(keys) {
			entries = append(entries, entry{maphash.String(ix.seed, k), int32(i)})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c := cmp.Compare(a.h, b.h); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	ix.post = make([]int32, len(entries))
	ix.spans = map[uint64]span{}
	for j, e := range entries {
		ix.post[j] = e.i
		sp := ix.spans[e.h]
		if sp.n == 0 {
			sp.off = uint32(j)
		}
		sp.n++
		ix.spans[e.h] = sp
	}
	return ix
}

// idf is IDFWeight of the token's word-key document frequency.
func (ix *index) idf(token string) float64 {
	return IDFWeight(len(ix.postings(KeyWord+token)), len(ix.targets))
}

// searcher holds the scratch space of one goroutine's retrievals.
type searcher struct {
	ix      *index
	acc     []float32
	touched []int32
	heap    []hit
}

type hit struct {
	i int32
	w float32
}

func (ix *index) searcher() *searcher {
	return &searcher{ix: ix, acc: make([]float32, len(ix.targets))}
}

// retrieve returns up to r targets for the candidate: those whose id it gives, then those
// sharing keys with its names, by summed KeyWeight and then by position.
func (s *searcher) retrieve(c Candidate, r int) []Target {
	n := len(s.ix.targets)
	var keys []string
	for _, name := range append([]string{c.Name}, c.Aliases...) {
		keys = append(keys, Keys(name)...)
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		p := s.ix.postings(k)
		if len(p) == 0 || len(p) > maxPosting {
			continue
		}
		w := float32(KeyWeight(k, len(p), n))
		for _, i := range p {
			if s.acc[i] == 0 {
				s.touched = append(s.touched, i)
			}
			s.acc[i] += w
		}
	}
	// The r best hits by weight, then position: a bounded min-heap, so that a key shared
	// by tens of thousands costs no full sort.
	worse := func(a, b hit) bool { return a.w < b.w || (a.w == b.w && a.i > b.i) }
	heap := s.heap[:0]
	for _, i := range s.touched {
		h := hit{i, s.acc[i]}
		s.acc[i] = 0
		switch {
		case len(heap) < r:
			heap = append(heap, h)
			for j := len(heap) - 1; j > 0; {
				p := (j - 1) / 2
				if !worse(heap[j], heap[p]) {
					break
				}
				heap[j], heap[p] = heap[p], heap[j]
				j = p
			}
		case worse(heap[0], h):
			heap[0] = h
			for j := 0; ; {
				l, m := 2*j+1, j
				if l < len(heap) && worse(heap[l], heap[m]) {
					m = l
				}
				if l+1 < len(heap) && worse(heap[l+1], heap[m]) {
					m = l + 1
				}
				if m == j {
					break
				}
				heap[j], heap[m] = heap[m], heap[j]
				j = m
			}
		}
	}
	s.touched = s.touched[:0]
	s.heap = heap
	hits := slices.Clone(heap)
	slices.SortFunc(hits, func(a, b hit) int {
		if c := cmp.Compare(b.w, a.w); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	var out []Target
	ids := append([]string(nil), c.IDs...)
	if strings.Contains(c.Name, ":") {
		ids = append(ids, c.Name)
	}
	for _, id := range ids {
		if i, ok := s.ix.byID[strings.ToLower(strings.TrimSpace(id))]; ok {
			out = append(out, s.ix.targets[i])
		}
	}
	for _, h := range hits {
		if len(out) >= r {
			break
		}
		out = append(out, s.ix.targets[h.i])
	}
	return out
}
