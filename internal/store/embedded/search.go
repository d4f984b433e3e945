package embedded

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// Field weights of a search match: a word of the name counts most.
const (
	weightName  = 3.0
	weightAlias = 2.0
	weightDesc  = 1.0
	bonusExact  = 10.0 // the whole query is the name (an alias earns half)
)

// textIndex maps words to the entities whose name, aliases or description contain them.
// Built by the first search (Store.textIndex); writers then keep it current under the
// store's write lock, and searches only read it.
type textIndex struct {
	words  map[string]map[string]float64 // word → entity id → best field weight
	sorted []string                      // the words, sorted, for prefix lookups
	whole  map[string]wholeNames         // entity id → its name and aliases as word lists

	// Between beginBulk and endBulk, sorted is left alone: new words wait in added and words
	// that leave are only noted, and endBulk settles both at once. Keeping sorted up to date
	// word by word costs the whole list per new word, which for the million distinct words
	// of a million entities' ids took minutes.
	bulk    bool
	added   []string
	dropped bool
}

// wholeNames holds an entity's name and aliases normalised like a query, for the exact-match bonus.
type wholeNames struct {
	name    string
	aliases []string
}

func newTextIndex() *textIndex {
	return &textIndex{words: map[string]map[string]float64{}, whole: map[string]wholeNames{}}
}

// textIndex returns the search index, first building it from the entity records when no
// read has yet. Callers hold s.mu, for reading or writing.
func (s *Store) textIndex() *textIndex {
	return lazily(&s.search, &s.lazyMu, func() *textIndex {
		x := newTextIndex()
		x.whole = make(map[string]wholeNames, len(s.ents))
		x.beginBulk()
		for _, id := range s.ids {
			x.add(id, s.ents[id].history())
		}
		x.endBulk()
		return x
	})
}

// lazily returns *p, first setting it to build() when it is nil; mu serialises the builds.
func lazily[T any](p *atomic.Pointer[T], mu *sync.Mutex, build func() *T) *T {
	if x := p.Load(); x != nil {
		return x
	}
	mu.Lock()
	defer mu.Unlock()
	if x := p.Load(); x != nil {
		return x
	}
	x := build()
	p.Store(x)
	return x
}

// Warm builds the indexes that reads otherwise build on first use (text search, match
// keys), so that a server's first search does not wait for them.
func (s *Store) Warm(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	s.textIndex()
	s.keyIndex()
	return nil
}

func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func normal(s string) string { return strings.Join(tokens(s), " ") }

func fieldWords(e kg.Entity) map[string]float64 {
	w := map[string]float64{}
	put := func(text string, weight float64) {
		for _, t := range tokens(text) {
			w[t] = max(w[t], weight)
		}
	}
	put(e.Description, weightDesc)
	for _, a := range e.Aliases {
		put(a, weightAlias)
	}
	put(e.Name, weightName)
	put(strings.TrimPrefix(e.ID, e.Kind.IDPrefix()), weightAlias)
	return w
}

// allWords is the union of the words of every row of an entity, each with its best weight:
// an entity is found by any name it has had, and Search then checks the version it reads.
func allWords(rows []kg.Entity) map[string]float64 {
	if len(rows) == 1 {
		return fieldWords(rows[0])
	}
	w := map[string]float64{}
	for _, r := range rows {
		for t, v := range fieldWords(r) {
			w[t] = max(w[t], v)
		}
	}
	return w
}

func wholeOf(e kg.Entity) wholeNames {
	wn := wholeNames{name: normal(e.Name)}
	for _, a := range e.Aliases {
		wn.aliases = append(wn.aliases, normal(a))
	}
	return wn
}

// add indexes the entity with these rows; on a nil index (not built yet) it does nothing.
func (x *textIndex) add(id string, rows []kg.Entity) {
	if x == nil {
		return
	}
	for t, w := range allWords(rows) {
		m := x.words[t]
		if m == nil {
			m = map[string]float64{}
			x.words[t] = m
			if x.bulk {
				x.added = append(x.added, t)
			} else {
				x.sorted = insertSorted(x.sorted, t)
			}
		}
		m[id] = w
	}
	if len(rows) == 1 {
		x.whole[id] = wholeOf(rows[0])
	} else {
		delete(x.whole, id) // several versions: Search looks at the one it reads
	}
}

// beginBulk starts a run of adds and removes that leaves sorted as it is (see textIndex).
func (x *textIndex) beginBulk() { x.bulk = true }

// endBulk brings sorted up to date with the words after a bulk run: the words that left go,
// the new ones are sorted and merged in.
func (x *textIndex) endBulk() {
	if x.dropped {
		x.sorted = slices.DeleteFunc(x.sorted, func(t string) bool { return x.words[t] == nil })
	}
	// A word may have been added, dropped and added again, or dropped and added back while
	// still in sorted: keep each word present once.
	slices.Sort(x.added)
	added := slices.DeleteFunc(slices.Compact(x.added), func(t string) bool { return x.words[t] == nil })
	if len(added) > 0 {
		merged := make([]string, 0, len(x.sorted)+len(added))
		i, j := 0, 0
		for i < len(x.sorted) || j < len(added) {
			switch {
			case j == len(added) || i < len(x.sorted) && x.sorted[i] < added[j]:
				merged = append(merged, x.sorted[i])
				i++
			case i == len(x.sorted) || added[j] < x.sorted[i]:
				merged = append(merged, added[j])
				j++
			default: // in both
				merged = append(merged, x.sorted[i])
				i, j = i+1, j+1
			}
		}
		x.sorted = merged
	}
	x.bulk, x.added, x.dropped = false, nil, false
}

// remove drops the words of the entity with these rows; a word no entity uses any more
// leaves the index. On a nil index it does nothing.
func (x *textIndex) remove(id string, rows []kg.Entity) {
	if x == nil {
		return
	}
	for t := range allWords(rows) {
		delete(x.words[t], id)
		if len(x.words[t]) == 0 {
			delete(x.words, t)
			if x.bulk {
				x.dropped = true
			} else {
				x.sorted = removeSorted(x.sorted, t)
			}
		}
	}
	delete(x.whole, id)
}

// versionScore scores entity e (the version a search reads) for the query's words as the
// index would, or reports that some word does not match it.
func versionScore(e kg.Entity, words []string) (float64, bool) {
	fw := fieldWords(e)
	total := 0.0
	for _, q := range words {
		best := 0.0
		for t, w := range fw {
			switch {
			case t == q:
				best = max(best, w)
			case strings.HasPrefix(t, q):
				best = max(best, w*0.5)
			}
		}
		if best == 0 {
			return 0, false
		}
		total += best
	}
	return total, true
}

// postings is what one query word matches in the index: the index words it equals or
// begins, and how many (entity, word) pairs they hold.
type postings struct {
	x     *textIndex
	word  string
	terms []string // a run of x.sorted
	size  int
}

// lookup finds the index words that match word exactly or as a prefix, without copying
// their postings.
func (x *textIndex) lookup(word string) postings {
	i := sort.SearchStrings(x.sorted, word)
	j := i
	size := 0
	for j < len(x.sorted) && strings.HasPrefix(x.sorted[j], word) {
		size += len(x.words[x.sorted[j]])
		j++
	}
	return postings{x: x, word: word, terms: x.sorted[i:j], size: size}
}

// factor is the weight of a match on index word t: whole word 1, prefix ½.
func (p postings) factor(t string) float64 {
	if t == p.word {
		return 1
	}
	return 0.5
}

// weight is the score of entity id for this word, or false when it does not match.
func (p postings) weight(id string) (float64, bool) {
	best, ok := 0.0, false
	for _, t := range p.terms {
		if w, hit := p.x.words[t][id]; hit {
			best, ok = max(best, w*p.factor(t)), true
		}
	}
	return best, ok
}

// each calls f once per matching entity with its score for this word, until f returns false.
// One index word is walked in place; several are merged first, since an entity may be
// under more than one of them.
func (p postings) each(f func(id string, w float64) bool) {
	if len(p.terms) == 1 {
		t := p.terms[0]
		fac := p.factor(t)
		for id, w := range p.x.words[t] {
			if !f(id, w*fac) {
				return
			}
		}
		return
	}
	merged := make(map[string]float64, p.size)
	for _, t := range p.terms {
		fac := p.factor(t)
		for id, w := range p.x.words[t] {
			merged[id] = max(merged[id], w*fac)
		}
	}
	for id, w := range merged {
		if !f(id, w) {
			return
		}
	}
}

// hit is a candidate result before the page is cut: the entity is copied only for the page.
type hit struct {
	id    string
	score float64
}

// before reports whether a ranks ahead of b: higher score, then smaller id.
func (a hit) before(b hit) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.id < b.id
}

// Search scores entities by the query's words over name, aliases and description (every
// word must match, whole or as a prefix; an exact whole-name match first), best first, ties
// by id. Only the requested page is sorted.
func (s *Store) Search(ctx context.Context, q store.SearchQuery) (store.SearchPage, error) {
	page, asOf, words := q.Page, q.AsOf, q.Words
	var cursor *hit
	if c := q.After(); c != nil {
		cursor = &hit{id: c.ID, score: c.Score}
	}
	whole := strings.Join(words, " ")

	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return store.SearchPage{}, err
	}
	x := s.textIndex()
	// Start from the word with the fewest matches; every other word must match too, which
	// is checked in the index per candidate rather than by building each word's set.
	lists := make([]postings, len(words))
	for i, w := range words {
		lists[i] = x.lookup(w)
	}
	slices.SortFunc(lists, func(a, b postings) int { return cmp.Compare(a.size, b.size) })
	// top holds the best page.First+1 hits after the cursor, in order.
	k := page.First + 1
	top := make([]hit, 0, min(k, lists[0].size))
	seen := 0
	var failed error
	lists[0].each(func(id string, sc float64) bool {
		if failed = stopped(ctx, seen); failed != nil {
			return false
		}
		seen++
		for _, p := range lists[1:] {
			w, ok := p.weight(id)
			if !ok {
				return true
			}
			sc += w
		}
		rec := s.ents[id]
		if rec == nil {
			return true
		}
		e, ok := rec.at(asOf, q.KnownAt)
		if !ok || (len(q.Kinds) > 0 && !slices.Contains(q.Kinds, e.Kind)) {
			return true
		}
		wn, single := x.whole[id]
		if !single { // several versions: score the one read, as a single-version entity would be
			if sc, ok = versionScore(e, words); !ok {
				return true
			}
			wn = wholeOf(e)
		}
		if wn.name == whole {
			sc += bonusExact
		} else if slices.Contains(wn.aliases, whole) {
			sc += bonusExact / 2
		}
		h := hit{id: id, score: sc}
		if cursor != nil && !cursor.before(h) {
			return true
		}
		if len(top) == k && !h.before(top[k-1]) {
			return true
		}
		i := sort.Search(len(top), func(i int) bool { return h.before(top[i]) })
		if len(top) == k {
			top = top[:k-1]
		}
		top = slices.Insert(top, i, h)
		return true
	})
	if failed != nil {
		return store.SearchPage{}, failed
	}
	out := store.SearchPage{HasNext: len(top) > page.First}
	if out.HasNext {
		top = top[:page.First]
	}
	for _, h := range top {
		e, _ := s.ents[h.id].at(asOf, q.KnownAt)
		out.Items = append(out.Items, store.SearchHit{Entity: e, Score: h.score})
	}
	if n := len(out.Items); n > 0 {
		out.EndCursor = store.SearchCursorOf(out.Items[n-1])
	}
	return out, nil
}
