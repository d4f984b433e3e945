package match

import (
	"encoding/csv"
	"flag"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode"
)

var update = flag.Bool("update", false, "rewrite testdata/synthetic_cases.csv from testdata/targets.csv")

// variant is one way people misspell or restyle a name; it returns "" when it does not apply.
type variant struct {
	name string
	f    func(r *rand.Rand, words []string) string
}

// legalSynonyms are other spellings of a legal form.
var legalSynonyms = map[string]string{
	"Inc.": "Incorporated", "LLC": "L.L.C.", "Ltd": "Limited", "GmbH": "GMBH", "Corporation": "Corp.",
	"AB": "A.B.", "JSC": "AO", "S.A.": "SA", "PLC": "plc", "Co.": "Company", "Oy": "OY", "AG": "A.G.",
	"Company": "Co.", "K.K.": "KK", "S.p.A.": "SpA",
}

// shortForms are abbreviations of generic words.
var shortForms = map[string]string{
	"Systems": "Sys.", "International": "Intl.", "Industries": "Inds.", "Technologies": "Tech.",
	"Holdings": "Hldgs.", "Services": "Svcs.", "Holding": "Hldg.",
}

func isLegalWord(w string) bool {
	n := Normalize(w)
	return len(n.Tokens) > 0 && n.Tokens[0].Class == ClassLegal && !strings.EqualFold(w, "labs")
}

// longWord is the index of the longest letters-only word that is not a legal form, if it
// has at least min letters.
func longWord(words []string, least int) int {
	best := -1
	for i, w := range words {
		if isLegalWord(w) || strings.ContainsFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }) {
			continue
		}
		if len(w) >= least && (best < 0 || len(w) > len(words[best])) {
			best = i
		}
	}
	return best
}

func edit(words []string, f func(r *rand.Rand, w string) string, r *rand.Rand) string {
	i := longWord(words, 6)
	if i < 0 {
		return ""
	}
	out := append([]string(nil), words...)
	out[i] = f(r, words[i])
	return strings.Join(out, " ")
}

func trimLegal(words []string) []string {
	for len(words) > 1 && isLegalWord(words[len(words)-1]) {
		words = words[:len(words)-1]
	}
	for len(words) > 1 && strings.EqualFold(words[len(words)-1], "de") {
		words = words[:len(words)-1]
	}
	return words
}

var restyles = []variant{
	{"typo substitution", func(r *rand.Rand, ws []string) string {
		return edit(ws, func(r *rand.Rand, w string) string {
			i := 1 + r.IntN(len(w)-2)
			c := byte('a' + (w[i]-'a'+1+byte(r.IntN(24)))%26)
			return w[:i] + string(c) + w[i+1:]
		}, r)
	}},
	{"typo transposition", func(r *rand.Rand, ws []string) string {
		return edit(ws, func(r *rand.Rand, w string) string {
			i := 1 + r.IntN(len(w)-3)
			if w[i] == w[i+1] {
				i++
			}
			return w[:i] + string(w[i+1]) + string(w[i]) + w[i+2:]
		}, r)
	}},
	{"typo deletion", func(r *rand.Rand, ws []string) string {
		return edit(ws, func(r *rand.Rand, w string) string { i := 1 + r.IntN(len(w)-1); return w[:i] + w[i+1:] }, r)
	}},
	{"typo insertion", func(r *rand.Rand, ws []string) string {
		return edit(ws, func(r *rand.Rand, w string) string { i := 1 + r.IntN(len(w)-1); return w[:i] + w[i:i+1] + w[i:] }, r)
	}},
	{"legal form dropped", func(r *rand.Rand, ws []string) string {
		t := trimLegal(ws)
		if len(t) == len(ws) {
			return ""
		}
		return strings.Join(t, " ")
	}},
	{"legal form respelled", func(r *rand.Rand, ws []string) string {
		out := append([]string(nil), ws...)
		for i := len(out) - 1; i >= 0; i-- {
			if s, ok := legalSynonyms[out[i]]; ok {
				out[i] = s
				return strings.Join(out, " ")
			}
		}
		return ""
	}},
	{"legal form added", func(r *rand.Rand, ws []string) string {
		if len(trimLegal(ws)) != len(ws) {
			return ""
		}
		return strings.Join(ws, " ") + pick(r, []string{", Inc.", " Ltd", " LLC", " Corp."})
	}},
	{"upper case", func(r *rand.Rand, ws []string) string { return strings.ToUpper(strings.Join(ws, " ")) }},
	{"lower case no punctuation", func(r *rand.Rand, ws []string) string {
		return strings.NewReplacer(".", "", ",", "", "&", "and").Replace(strings.ToLower(strings.Join(ws, " ")))
	}},
	{"comma before legal form", func(r *rand.Rand, ws []string) string {
		if len(ws) < 2 || !isLegalWord(ws[len(ws)-1]) || strings.HasSuffix(ws[len(ws)-2], ",") {
			return ""
		}
		return strings.Join(ws[:len(ws)-1], " ") + ", " + ws[len(ws)-1]
	}},
	{"first words joined", func(r *rand.Rand, ws []string) string {
		t := trimLegal(ws)
		if len(t) < 2 {
			return ""
		}
		return strings.ToLower(t[0]+t[1]) + " " + strings.Join(ws[2:], " ")
	}},
	{"camel case", func(r *rand.Rand, ws []string) string {
		t := trimLegal(ws)
		if len(t) < 2 {
			return ""
		}
		return strings.Join(t, "")
	}},
	{"generic word abbreviated", func(r *rand.Rand, ws []string) string {
		out := append([]string(nil), ws...)
		for i, w := range out {
			if s, ok := shortForms[w]; ok {
				out[i] = s
				return strings.Join(out, " ")
			}
		}
		return ""
	}},
	{"article added", func(r *rand.Rand, ws []string) string { return "The " + strings.Join(ws, " ") }},
	{"typo and legal form dropped", func(r *rand.Rand, ws []string) string {
		t := trimLegal(ws)
		if len(t) == len(ws) {
			return ""
		}
		return edit(t, func(r *rand.Rand, w string) string { i := 1 + r.IntN(len(w)-1); return w[:i] + w[i+1:] }, r)
	}},
}

// TestGenerateCases rewrites testdata/synthetic_cases.csv with -update: for every target of
// testdata/targets.csv three variants drawn from the list above, and for every third target
// a hard negative, the name with its first word replaced by an invented one.
func TestGenerateCases(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/synthetic_cases.csv")
	}
	f, err := os.Create("testdata/synthetic_cases.csv")
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"name", "country", "kind", "ids", "expect", "note"})
	for n, tg := range fileTargets(t) {
		h := fnv.New64a()
		h.Write([]byte(tg.ID))
		r := rand.New(rand.NewPCG(h.Sum64(), 1))
		words := strings.Fields(tg.Name)
		seen := map[string]bool{tg.Name: true}
		for _, i := range r.Perm(len(restyles)) {
			if len(seen) > 3 {
				break
			}
			v := restyles[i]
			name := strings.Join(strings.Fields(v.f(r, words)), " ")
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			country := ""
			if r.IntN(3) == 0 {
				country = tg.Country
			}
			w.Write([]string{name, country, "", "", tg.ID, v.name})
		}
		if n%3 == 0 && len(trimLegal(words)) >= 2 {
			first := 0
			if strings.EqualFold(words[0], "the") {
				first = 1
			}
			neg := append(append(append([]string(nil), words[:first]...), inventedWord(r)), words[first+1:]...)
			w.Write([]string{strings.Join(neg, " "), "", "", "", "none", "first word replaced"})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
