package embedded

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// Field weights of a search match: a word of the name counts most.
const (
	weightName  = 3.0
	weightAlias = 2.0
	weightDesc  = 1.0
	bonusExact  = 10.0 // the whole query is the name or an alias
)

// textIndex maps words to the entities whose name, aliases or description contain them.
type textIndex struct {
	words  map[string]map[string]float64 // word → entity id → best field weight
	sorted []string                      // the words, sorted, for prefix lookups
	dirty  bool
}

func newTextIndex() *textIndex { return &textIndex{words: map[string]map[string]float64{}} }

func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

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

func (x *textIndex) add(e kg.Entity) {
	for t, w := range fieldWords(e) {
		m := x.words[t]
		if m == nil {
			m = map[string]float64{}
			x.words[t] = m
			x.dirty = true
		}
		m[e.ID] = w
	}
}

func (x *textIndex) remove(e kg.Entity) {
	for t := range fieldWords(e) {
		delete(x.words[t], e.ID)
	}
}

// matches scores entities for one query word: an exact word, or a word it begins (half weight).
func (x *textIndex) matches(word string) map[string]float64 {
	if x.dirty {
		x.sorted = x.sorted[:0]
		for t := range x.words {
			x.sorted = append(x.sorted, t)
		}
		slices.Sort(x.sorted)
		x.dirty = false
	}
	out := map[string]float64{}
	for i := sort.SearchStrings(x.sorted, word); i < len(x.sorted) && strings.HasPrefix(x.sorted[i], word); i++ {
		t := x.sorted[i]
		factor := 1.0
		if t != word {
			factor = 0.5
		}
		for id, w := range x.words[t] {
			out[id] = max(out[id], w*factor)
		}
	}
	return out
}

// Search scores entities by the query's words over name, aliases and description (an exact
// whole-name match first), best first, ties by id.
func (s *Store) Search(ctx context.Context, q store.SearchQuery) (store.SearchPage, error) {
	page, err := q.Page.Normalize()
	if err != nil {
		return store.SearchPage{}, err
	}
	for i, k := range q.Kinds {
		if !k.Valid() {
			return store.SearchPage{}, kg.Invalid("kinds["+strconv.Itoa(i)+"]", "unknown kind %q", k)
		}
	}
	words := tokens(q.Text)
	if len(words) == 0 {
		return store.SearchPage{}, kg.Invalid("text", "give at least one word to search for")
	}
	asOf := store.ResolveAsOf(q.AsOf)
	// Building the sorted word list mutates the index, so search takes the write lock when
	// the list is stale and the read lock otherwise.
	s.mu.Lock()
	if err := s.usable(ctx); err != nil {
		s.mu.Unlock()
		return store.SearchPage{}, err
	}
	scores := map[string]float64{}
	for i, w := range words {
		m := s.search.matches(w)
		for id, sc := range m {
			if i == 0 {
				scores[id] = sc
			} else if _, ok := scores[id]; ok {
				scores[id] += sc
			}
		}
		for id := range scores { // every word must match
			if _, ok := m[id]; !ok {
				delete(scores, id)
			}
		}
	}
	whole := strings.Join(words, " ")
	var hits []store.SearchHit
	for id, sc := range scores {
		e, ok := s.entityAt(id, asOf)
		if !ok || (len(q.Kinds) > 0 && !slices.Contains(q.Kinds, e.Kind)) {
			continue
		}
		if strings.Join(tokens(e.Name), " ") == whole {
			sc += bonusExact
		} else {
			for _, a := range e.Aliases {
				if strings.Join(tokens(a), " ") == whole {
					sc += bonusExact / 2
					break
				}
			}
		}
		hits = append(hits, store.SearchHit{Entity: e, Score: sc})
	}
	s.mu.Unlock()
	slices.SortFunc(hits, func(a, b store.SearchHit) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Entity.ID, b.Entity.ID)
	})
	start := 0
	if page.After != "" {
		key, err := store.DecodeCursor(page.After, 2)
		if err != nil {
			return store.SearchPage{}, err
		}
		score, err := strconv.ParseFloat(key[0], 64)
		if err != nil {
			return store.SearchPage{}, kg.Invalid("after", "cursor %q was not issued by this API", page.After)
		}
		start = sort.Search(len(hits), func(i int) bool {
			return hits[i].Score < score || (hits[i].Score == score && hits[i].Entity.ID > key[1])
		})
	}
	end := min(start+page.First, len(hits))
	out := store.SearchPage{Items: hits[start:end], HasNext: end < len(hits)}
	if end > start {
		last := hits[end-1]
		out.EndCursor = store.EncodeCursor(strconv.FormatFloat(last.Score, 'g', -1, 64), last.Entity.ID)
	}
	return out, nil
}
