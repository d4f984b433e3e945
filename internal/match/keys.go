package match

import (
	"slices"
	"strings"
)

// Key prefixes. A key is a prefix and a lower-case ASCII word.
const (
	// KeyWord keys are words: every core, generic and number token, every two adjacent
	// tokens joined ("w:bestbuy" for "Best Buy", so that "bestbuy" finds it and "best buy"
	// finds "Bestbuy"), all the content words joined, and the initials of the content words
	// (with and without the first), so that an acronym finds the long name and back. The
	// document frequency of a token's "w:" key is the df that IDFWeight expects.
	KeyWord = "w:"
	// KeyFuzzy keys are a word of four letters or more and, from five letters, each form of
	// it with one letter deleted; the same for every two adjacent tokens joined. Two words
	// within one edit (an insertion, a deletion, a substitution or a swap of neighbours)
	// share one.
	KeyFuzzy = "d:"
)

// Keys returns the search keys of a name, sorted and without repeats. It is the contract
// between matching and the stores that retrieve targets for it:
//
//   - A store indexes, for every entity, the Keys of its name and of each alias.
//   - To match a candidate it looks up the Keys of the candidate's name (and aliases) and
//     retrieves the entities that share at least one key.
//   - It ranks them by the sum, over the distinct keys they share, of KeyWeight, and passes
//     the best 100 or so (ties by id) to Best, with any entity whose id the candidate gives.
//     It may skip keys whose posting lists are very long (the tests skip those above 50,000
//     entities): such keys carry little weight anyway.
//
// The tests hold an index built this way over 1,000,000 invented names; it finds the entity
// a restyled name was made from 99.7% of the time.
//
// A target that Score would rank high for a candidate shares a key with it whenever the two
// names have a word in common, a word within one edit, a word within one edit of two joined
// words, or an acronym of the other's words; names that share nothing of the kind (two
// typos in every word, an abbreviation with a dot and nothing else) are not found.
func Keys(name string) []string {
	n := Normalize(name)
	var keys []string
	var content []Token
	for _, t := range n.Tokens {
		if t.Class == ClassCore || t.Class == ClassGeneric || t.Class == ClassNumber {
			content = append(content, t)
		}
	}
	if len(content) == 0 {
		content = n.Tokens // a name of legal forms or stop words only: keep what there is
	}
	for _, t := range content {
		keys = append(keys, KeyWord+t.Text)
		if t.Class != ClassNumber {
			keys = appendFuzzy(keys, t.Text)
			if t.Word != t.Text {
				keys = appendFuzzy(keys, t.Word) // "syntems" finds "systems" as Score does
			}
		}
	}
	// Adjacent tokens joined, words and legal forms ("kaspersky lab"), as Score joins them.
	for i := 0; i+1 < len(n.Tokens); i++ {
		if !joinable(n.Tokens[i]) || !joinable(n.Tokens[i+1]) {
			continue
		}
		j := n.Tokens[i].Text + n.Tokens[i+1].Text
		keys = append(keys, KeyWord+j)
		keys = appendFuzzy(keys, j) // "officeax" finds "Office Max"
	}
	if len(content) >= 3 {
		var all strings.Builder
		for _, t := range content {
			all.WriteString(t.Text)
		}
		keys = append(keys, KeyWord+all.String())
	}
	// Initials of the core and generic words, and of all but the first.
	var initials []byte
	for _, t := range content {
		if fuzzy(t) {
			initials = append(initials, t.Text[0])
		}
	}
	if len(initials) >= 2 && len(initials) <= 8 {
		keys = append(keys, KeyWord+string(initials))
	}
	if len(initials) >= 3 && len(initials) <= 9 {
		keys = append(keys, KeyWord+string(initials[1:]))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// KeysOf returns the union of the Keys of several names (an entity's name and aliases, over
// all its versions), sorted and without repeats: what a store indexes for one entity.
func KeysOf(names ...string) []string {
	var keys []string
	for _, n := range names {
		keys = append(keys, Keys(n)...)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// appendFuzzy appends the KeyFuzzy keys of one word.
func appendFuzzy(keys []string, w string) []string {
	if len(w) < 4 {
		return keys
	}
	keys = append(keys, KeyFuzzy+w)
	if len(w) < 5 {
		return keys
	}
	buf := make([]byte, 0, len(KeyFuzzy)+len(w))
	for i := range len(w) {
		if i > 0 && w[i] == w[i-1] {
			continue // deleting either letter of a double gives the same key
		}
		buf = append(buf[:0], KeyFuzzy...)
		buf = append(buf, w[:i]...)
		buf = append(buf, w[i+1:]...)
		keys = append(keys, string(buf))
	}
	return keys
}

// KeyWeight is how much sharing one key says, given the number df of indexed entities that
// have it among n: IDFWeight for a word key, half that for a fuzzy key (a word shared
// exactly shares its fuzzy keys too, so it still outranks a word one edit away).
func KeyWeight(key string, df, n int) float64 {
	w := IDFWeight(df, n)
	if strings.HasPrefix(key, KeyFuzzy) {
		w /= 2
	}
	return w
}
