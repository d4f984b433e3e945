package match

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/hbollon/go-edlib"

	"riskgraph/internal/kg"
)

// Candidate is a name to match, as a supplier list or a search box gives it. Only Name is
// required; the rest is optional evidence.
type Candidate struct {
	Name    string
	Aliases []string // other names of the same party, tried like Name
	Country string   // a country as Country reads it: code or English name
	Kind    kg.Kind  // the kind of entity meant, when known
	IDs     []string // entity ids the list already gives, e.g. "vendor:kaspersky-lab"; a Name with a colon counts as an id too
}

// Target is an entity a store holds, as much of it as matching reads.
type Target struct {
	ID      string
	Kind    kg.Kind // when empty, the kind the id's prefix names
	Name    string
	Aliases []string
	Country string // a country as Country reads it; "" when unknown
}

// Reason kinds. A Match's Reasons use these words.
const (
	ReasonExactID         = "exact-id"        // the candidate gave the target's id
	ReasonExactName       = "exact-name"      // the names normalise to the same tokens
	ReasonExactAlias      = "exact-alias"     // as exact-name, through an alias of either side
	ReasonTokenOverlap    = "token-overlap"   // equal words
	ReasonEditDistance    = "edit-distance"   // words within a small edit distance
	ReasonConcatenation   = "concatenation"   // one word against two or three joined ones
	ReasonAbbreviation    = "abbreviation"    // an acronym, a dotted prefix or a known short form
	ReasonTransliteration = "transliteration" // words equal once transliterated or spelling-folded
	ReasonLegalForm       = "legal-form"      // legal forms, matched or not; they weigh little
	ReasonNumberMismatch  = "number-mismatch" // both names have numbers the other lacks
	ReasonCountry         = "country"         // the countries agree or contradict
	ReasonKind            = "kind"            // the kinds agree or contradict
)

// Reason is one piece of evidence of a Match. The Weights of a Match's Reasons add up to
// its Score (within rounding); a reason with weight 0 only informs.
type Reason struct {
	Kind   string
	Detail string
	Weight float64
}

// Match is a target scored against a candidate.
type Match struct {
	Target      Target
	Score       float64 // in [0,1]
	MatchedName string  // the target's name or alias that gave the score
	Reasons     []Reason
}

// Evidence adjustments, added to the name score and clamped to [0,1].
const (
	CountryAgrees      = 0.02
	CountryContradicts = -0.10
	KindAgrees         = 0.02
	KindContradicts    = -0.20
	// OverlapShare is the share of the overlap coefficient in the name score, beside the
	// Dice coefficient: a short name all of whose words the longer one holds ("Federal Law
	// 374-FZ" in "Russian Federal Law 374-FZ (Yarovaya package)") scores above one that
	// shares as much weight but has words of its own too.
	OverlapShare = 0.3
	// NumberMismatchFactor scales the name score when both names hold numbers the other
	// lacks: "Federal Law 374-FZ" is not "Federal Law 375-FZ".
	NumberMismatchFactor = 0.5
)

// Matcher scores candidates against targets. The zero Matcher weighs a word by its class
// alone; set IDF to weigh rare words above common ones.
type Matcher struct {
	// IDF, when set, scales the weight of a core, generic or number token: a factor in
	// (0,1], 1 for a word that is rare or unknown. Corpus.IDF is one; a store can give
	// IDFWeight of its own document frequencies.
	IDF func(token string) float64
}

// Score scores one candidate against one target with the zero Matcher. It is pure and
// deterministic. Name similarity is symmetric (swapping the two names gives the same
// score); an exact id is not, since only the candidate gives ids.
func Score(c Candidate, t Target) Match { return Matcher{}.Score(c, t) }

// Best scores the candidate against every target with the zero Matcher and returns the n
// best (all when n <= 0), by score descending and then by id; a target id given twice
// counts once.
func Best(c Candidate, targets []Target, n int) []Match { return Matcher{}.Best(c, targets, n) }

// Score scores one candidate against one target.
func (m Matcher) Score(c Candidate, t Target) Match {
	return m.score(m.prepareCandidate(c), t)
}

// Best scores the candidate against every target and returns the n best (all when n <= 0),
// by score descending and then by id; a target id given twice counts once.
func (m Matcher) Best(c Candidate, targets []Target, n int) []Match {
	pc := m.prepareCandidate(c)
	out := make([]Match, 0, len(targets))
	for _, t := range targets {
		out = append(out, m.score(pc, t))
	}
	slices.SortStableFunc(out, func(a, b Match) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return strings.Compare(a.Target.ID, b.Target.ID)
	})
	out = slices.CompactFunc(out, func(a, b Match) bool { return a.Target.ID == b.Target.ID })
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// preparedName is a normalised name with its token weights.
type preparedName struct {
	label string // the name as given
	key   string
	toks  []Token
	w     []float64
	total float64
}

type preparedCandidate struct {
	c       Candidate
	names   []preparedName
	country string
	ids     []string
}

func (m Matcher) prepareName(s string) preparedName {
	n := Normalize(s)
	p := preparedName{label: s, key: n.Key(), toks: n.Tokens, w: make([]float64, len(n.Tokens))}
	for i, t := range n.Tokens {
		w := t.Class.Weight()
		if m.IDF != nil && (t.Class == ClassCore || t.Class == ClassGeneric || t.Class == ClassNumber) {
			w *= m.IDF(t.Text)
		}
		p.w[i] = w
		p.total += w
	}
	return p
}

func (m Matcher) prepareNames(name string, aliases []string) []preparedName {
	ps := make([]preparedName, 0, 1+len(aliases))
	for i, s := range append([]string{name}, aliases...) {
		if p := m.prepareName(s); len(p.toks) > 0 || i == 0 {
			ps = append(ps, p)
		}
	}
	return ps
}

func (m Matcher) prepareCandidate(c Candidate) preparedCandidate {
	pc := preparedCandidate{c: c, names: m.prepareNames(c.Name, c.Aliases), country: Country(c.Country)}
	for _, id := range c.IDs {
		if id = strings.TrimSpace(id); id != "" {
			pc.ids = append(pc.ids, strings.ToLower(id))
		}
	}
	if id := strings.ToLower(strings.TrimSpace(c.Name)); strings.Contains(id, ":") {
		pc.ids = append(pc.ids, id) // a pasted id in the name column
	}
	return pc
}

func (m Matcher) score(pc preparedCandidate, t Target) Match {
	if t.Kind == "" {
		t.Kind, _ = kg.KindOfID(t.ID)
	}
	match := Match{Target: t}
	tid := strings.ToLower(t.ID)
	for _, id := range pc.ids {
		if id == tid {
			match.Score = 1
			match.MatchedName = t.ID
			match.Reasons = []Reason{{Kind: ReasonExactID, Detail: fmt.Sprintf("the candidate gives the id %s", t.ID), Weight: 1}}
			return match
		}
	}

	best := -1.0
	var bestReasons []Reason
	for ti, tn := range m.prepareNames(t.Name, t.Aliases) {
		for ci, cn := range pc.names {
			s, rs := nameSim(cn, tn, ci > 0 || ti > 0)
			if s > best {
				best, bestReasons, match.MatchedName = s, rs, tn.label
			}
		}
	}
	if best < 0 {
		best = 0
	}
	score := best
	reasons := bestReasons
	add := func(kind, detail string, delta float64) {
		next := min(1, max(0, score+delta))
		reasons = append(reasons, Reason{Kind: kind, Detail: detail, Weight: next - score})
		score = next
	}
	// Country and kind only nudge a name that already matched somewhat.
	if tc := Country(t.Country); best > 0 && pc.country != "" && tc != "" {
		if tc == pc.country {
			add(ReasonCountry, "both in "+tc, CountryAgrees)
		} else {
			add(ReasonCountry, fmt.Sprintf("candidate in %s, target in %s", pc.country, tc), CountryContradicts)
		}
	}
	if best > 0 && pc.c.Kind != "" && t.Kind != "" {
		if pc.c.Kind == t.Kind {
			add(ReasonKind, "both "+string(t.Kind), KindAgrees)
		} else {
			add(ReasonKind, fmt.Sprintf("candidate is a %s, target a %s", pc.c.Kind, t.Kind), KindContradicts)
		}
	}
	match.Score, match.Reasons = score, reasons
	return match
}

// pair is a set of tokens of one name aligned with a set of tokens of the other.
type pair struct {
	a, b    uint64 // masks of the tokens covered on each side
	s       float64
	wa, wb  float64 // weight of the tokens covered on each side
	contrib float64 // s × (wa + wb): the order of the greedy alignment
	kind    string
	how     uint8 // one of the how constants: what the detail says
	edits   int   // for howEdit and howJoined
}

// How a pair aligns, for its detail.
const (
	howEqual uint8 = iota
	howEdit
	howPrefix
	howJoined
	howInitials
)

// detail describes a chosen pair with the words as written. Built only for the pairs the
// alignment keeps.
func (p pair) detail(a, b preparedName) string {
	ra, rb := raws(a, p.a), raws(b, p.b)
	switch p.how {
	case howEdit:
		return fmt.Sprintf("%s~%s (%d edit%s)", ra, rb, p.edits, plural(p.edits))
	case howPrefix:
		if len(ra) < len(rb) {
			return fmt.Sprintf("%s. for %s", ra, rb)
		}
		return fmt.Sprintf("%s. for %s", rb, ra)
	case howJoined:
		return fmt.Sprintf("%q~%q", ra, rb)
	case howInitials:
		if bits.OnesCount64(p.a) == 1 {
			return fmt.Sprintf("%s as initials of %s", ra, rb)
		}
		return fmt.Sprintf("%s as initials of %s", rb, ra)
	}
	if ra == rb {
		return ra
	}
	return ra + "=" + rb
}

// raws joins the written forms of the tokens in the mask.
func raws(p preparedName, mask uint64) string {
	var b strings.Builder
	for i, t := range p.toks {
		if mask&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(t.Raw)
		}
	}
	return b.String()
}

// nameSim scores two prepared names in [0,1] and explains the score; viaAlias says whether
// either side is an alias, which names an exact match exact-alias.
func nameSim(a, b preparedName, viaAlias bool) (float64, []Reason) {
	if len(a.toks) == 0 || len(b.toks) == 0 {
		return 0, nil
	}
	if a.key == b.key {
		kind := ReasonExactName
		if viaAlias {
			kind = ReasonExactAlias
		}
		rs := []Reason{{Kind: kind, Detail: fmt.Sprintf("%q = %q", a.label, b.label), Weight: 1}}
		if notes := normalisationNotes(a, b); notes != "" {
			rs = append(rs, Reason{Kind: noteKind(a, b), Detail: notes})
		}
		return 1, rs
	}
	pairs := candidatePairs(a, b)
	slices.SortFunc(pairs, func(x, y pair) int {
		if c := cmp.Compare(y.contrib, x.contrib); c != 0 {
			return c
		}
		if c := cmp.Compare(y.s, x.s); c != 0 {
			return c
		}
		if c := cmp.Compare(x.a, y.a); c != 0 {
			return c
		}
		return cmp.Compare(x.b, y.b)
	})
	// Greedy one-to-one alignment, the heaviest evidence first.
	var usedA, usedB uint64
	var chosen []pair
	var matchedA, matchedB float64
	for _, p := range pairs {
		if p.a&usedA != 0 || p.b&usedB != 0 {
			continue
		}
		usedA |= p.a
		usedB |= p.b
		chosen = append(chosen, p)
		matchedA += p.s * p.wa
		matchedB += p.s * p.wb
	}
	// The score blends the weighted Dice coefficient, aligned weight of both names over their
	// total weight (share 1-OverlapShare), with the overlap coefficient, the larger of the
	// fractions of each name's weight that is aligned (share OverlapShare). Both are sums
	// over the chosen pairs, so each pair's share of the score is known and reasons add up.
	total := a.total + b.total
	overlapA := matchedA/a.total >= matchedB/b.total
	byKind := map[string]*Reason{}
	var order []string
	var score float64
	for _, p := range chosen {
		ov := p.wb / b.total
		if overlapA {
			ov = p.wa / a.total
		}
		w := p.s * ((1-OverlapShare)*(p.wa+p.wb)/total + OverlapShare*ov)
		score += w
		r := byKind[p.kind]
		if r == nil {
			r = &Reason{Kind: p.kind}
			byKind[p.kind] = r
			order = append(order, p.kind)
		} else {
			r.Detail += ", "
		}
		r.Detail += p.detail(a, b)
		r.Weight += w
	}
	// Unmatched legal forms are worth a word: they explain why a near-exact name scores
	// a little under 1.
	if un := unmatched(a, usedA, ClassLegal) + unmatched(b, usedB, ClassLegal); un != "" {
		r := byKind[ReasonLegalForm]
		if r == nil {
			r = &Reason{Kind: ReasonLegalForm}
			byKind[ReasonLegalForm] = r
			order = append(order, ReasonLegalForm)
		} else {
			r.Detail += "; "
		}
		r.Detail += "unmatched " + strings.TrimSuffix(un, ", ") + " (weigh little)"
	}
	rs := make([]Reason, 0, len(order)+1)
	slices.SortFunc(order, func(x, y string) int {
		if c := cmp.Compare(byKind[y].Weight, byKind[x].Weight); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	for _, k := range order {
		rs = append(rs, *byKind[k])
	}
	if ua, ub := unmatched(a, usedA, ClassNumber), unmatched(b, usedB, ClassNumber); ua != "" && ub != "" {
		next := score * NumberMismatchFactor
		rs = append(rs, Reason{Kind: ReasonNumberMismatch,
			Detail: fmt.Sprintf("numbers %s against %s", strings.TrimSuffix(ua, ", "), strings.TrimSuffix(ub, ", ")),
			Weight: next - score})
		score = next
	}
	return min(1, max(0, score)), rs
}

// unmatched lists the tokens of class c not in the mask, each followed by ", ".
func unmatched(p preparedName, used uint64, c TokenClass) string {
	var b strings.Builder
	for i, t := range p.toks {
		if t.Class == c && used&(1<<i) == 0 {
			b.WriteString(t.Raw)
			b.WriteString(", ")
		}
	}
	return b.String()
}

// normalisationNotes says which rules made two different spellings equal.
func normalisationNotes(a, b preparedName) string {
	var notes []string
	for _, p := range []preparedName{a, b} {
		for _, t := range p.toks {
			if t.Translit || t.Folded || t.Expanded {
				if n := fmt.Sprintf("%s → %s", t.Raw, t.Text); !slices.Contains(notes, n) {
					notes = append(notes, n)
				}
			}
		}
	}
	return strings.Join(notes, ", ")
}

func noteKind(a, b preparedName) string {
	for _, p := range []preparedName{a, b} {
		for _, t := range p.toks {
			if t.Translit || t.Folded {
				return ReasonTransliteration
			}
		}
	}
	for _, p := range []preparedName{a, b} {
		for _, t := range p.toks {
			if t.Expanded && t.Class == ClassLegal {
				return ReasonLegalForm
			}
		}
	}
	return ReasonAbbreviation
}

// allowedEdits is how many edits two words of these lengths may differ by and still match:
// none when either has three letters or fewer or both four; one when the shorter has four
// letters or more and the longer five; two when they have eight and nine.
func allowedEdits(la, lb int) int {
	lo, hi := min(la, lb), max(la, lb)
	switch {
	case lo >= 8 && hi >= 9:
		return 2
	case lo >= 4 && hi >= 5:
		return 1
	}
	return 0
}

// editSim is the similarity of two words by Damerau-Levenshtein (optimal string alignment)
// distance, 0 when they differ by more than allowedEdits.
func editSim(x, y string) (float64, int) {
	k := allowedEdits(len(x), len(y))
	if k == 0 || abs(len(x)-len(y)) > k {
		return 0, 0
	}
	if bagDistance(x, y) > k {
		return 0, 0 // cheaply known to be too far
	}
	d := edlib.OSADamerauLevenshteinDistance(x, y)
	if d == 0 || d > k {
		return 0, d
	}
	return 1 - float64(d)/float64(max(len(x), len(y))), d
}

// bagDistance is a lower bound of the edit distance of two ASCII words: the larger of the
// number of letters of each that the other lacks, counted with repeats.
func bagDistance(x, y string) int {
	var counts [128]int8
	for i := 0; i < len(x); i++ {
		counts[x[i]&127]++
	}
	for i := 0; i < len(y); i++ {
		counts[y[i]&127]--
	}
	more, fewer := 0, 0
	for _, c := range counts {
		if c > 0 {
			more += int(c)
		} else {
			fewer -= int(c)
		}
	}
	return max(more, fewer)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// fuzzy says whether a token may match by edits, concatenation or abbreviation.
func fuzzy(t Token) bool { return t.Class == ClassCore || t.Class == ClassGeneric }

// candidatePairs lists every way a token or run of tokens of a may align with b's.
func candidatePairs(a, b preparedName) []pair {
	var ps []pair
	for i, x := range a.toks {
		for j, y := range b.toks {
			if p, ok := singlePair(x, y); ok {
				p.a, p.b = 1<<i, 1<<j
				p.wa, p.wb = a.w[i], b.w[j]
				p.contrib = p.s * (p.wa + p.wb)
				ps = append(ps, p)
			}
		}
	}
	ps = appendJoined(ps, a, b, false)
	ps = appendJoined(ps, b, a, true)
	ps = appendAcronym(ps, a, b, false)
	ps = appendAcronym(ps, b, a, true)
	return ps
}

// singlePair aligns two single tokens.
func singlePair(x, y Token) (pair, bool) {
	if x.Text == y.Text {
		kind := ReasonTokenOverlap
		switch {
		case x.Translit || y.Translit || x.Folded || y.Folded:
			kind = ReasonTransliteration
		case x.Class == ClassLegal:
			kind = ReasonLegalForm
		case x.Expanded || y.Expanded:
			kind = ReasonAbbreviation
		}
		return pair{s: 1, kind: kind, how: howEqual}, true
	}
	if fuzzy(x) && fuzzy(y) {
		s, d := editSim(x.Text, y.Text)
		if s2, d2 := editSim(x.Word, y.Word); s2 > s {
			// A typo of a word that has a canonical form: "syntems" is one edit from
			// "systems", though two from its canonical "system".
			s, d = s2, d2
		}
		if s > 0 {
			return pair{s: s, kind: ReasonEditDistance, how: howEdit, edits: d}, true
		}
	}
	const abbrevSim = 0.85
	for _, o := range [][2]Token{{x, y}, {y, x}} {
		short, long := o[0], o[1]
		if short.Abbrev && fuzzy(long) && len(long.Text) > len(short.Text) && strings.HasPrefix(long.Text, short.Text) {
			return pair{s: abbrevSim, kind: ReasonAbbreviation, how: howPrefix}, true
		}
	}
	return pair{}, false
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// joinable says whether a token may be a piece of a joined word: words and legal forms
// ("kasperskylab"), not numbers or stop words.
func joinable(t Token) bool { return fuzzy(t) || t.Class == ClassLegal }

// appendJoined aligns one token of x with two or three adjacent tokens of y joined together
// ("bestbuy" with "best buy"), exactly or within allowedEdits, as long as every piece is
// longer than the edits (so that the edits cannot swallow a piece). swap says x is the
// target.
func appendJoined(ps []pair, x, y preparedName, swap bool) []pair {
	for i, tx := range x.toks {
		if !fuzzy(tx) {
			continue
		}
		for j := 0; j < len(y.toks); j++ {
			if !joinable(y.toks[j]) {
				continue
			}
			joined := y.toks[j].Text
			shortest := len(joined)
			wy := y.w[j]
			var mask uint64 = 1 << j
			for k := j + 1; k < len(y.toks) && k < j+3 && joinable(y.toks[k]); k++ {
				joined += y.toks[k].Text
				shortest = min(shortest, len(y.toks[k].Text))
				wy += y.w[k]
				mask |= 1 << k
				if len(joined) > len(tx.Text)+2 {
					break
				}
				s := 0.0
				if joined == tx.Text {
					s = 1
				} else if es, d := editSim(tx.Text, joined); d < shortest {
					s = es
				}
				if s == 0 {
					continue
				}
				p := pair{s: s, kind: ReasonConcatenation, how: howJoined, contrib: s * (x.w[i] + wy)}
				if swap {
					p.a, p.b, p.wa, p.wb = mask, 1<<i, wy, x.w[i]
				} else {
					p.a, p.b, p.wa, p.wb = 1<<i, mask, x.w[i], wy
				}
				ps = append(ps, p)
			}
		}
	}
	return ps
}

// appendAcronym aligns one short token of x with the initials of y's core and generic words,
// or of all of them but the first ("dhs" for "US Department of Homeland Security"). swap says
// x is the target.
func appendAcronym(ps []pair, x, y preparedName, swap bool) []pair {
	// Initials alone are weak evidence: in a large corpus many names share them. An acronym
	// that names an entity well belongs in its aliases, where it matches exactly.
	const acronymSim = 0.75
	var idx []int
	for j, t := range y.toks {
		if fuzzy(t) {
			idx = append(idx, j)
		}
	}
	if len(idx) < 2 {
		return ps
	}
	for i, tx := range x.toks {
		if tx.Class != ClassCore || len(tx.Text) < 2 || len(tx.Text) > 8 {
			continue
		}
		for _, from := range []int{0, 1} {
			words := idx[from:]
			if len(words) < 2 || len(words) != len(tx.Text) {
				continue
			}
			ok := true
			var mask uint64
			wy := 0.0
			for k, j := range words {
				if y.toks[j].Text[0] != tx.Text[k] {
					ok = false
					break
				}
				mask |= 1 << j
				wy += y.w[j]
			}
			if !ok {
				continue
			}
			p := pair{s: acronymSim, kind: ReasonAbbreviation, contrib: acronymSim * (x.w[i] + wy),
				how: howInitials}
			if swap {
				p.a, p.b, p.wa, p.wb = mask, 1<<i, wy, x.w[i]
			} else {
				p.a, p.b, p.wa, p.wb = 1<<i, mask, x.w[i], wy
			}
			ps = append(ps, p)
		}
	}
	return ps
}

// Corpus holds document frequencies of tokens over a set of targets, for IDF weights.
type Corpus struct {
	n  int
	df map[string]int
}

// NewCorpus counts, for every token, how many targets have it in their name or aliases.
func NewCorpus(targets []Target) *Corpus {
	c := &Corpus{n: len(targets), df: map[string]int{}}
	seen := map[string]bool{}
	for _, t := range targets {
		clear(seen)
		for _, s := range append([]string{t.Name}, t.Aliases...) {
			for _, tok := range Normalize(s).Tokens {
				if !seen[tok.Text] {
					seen[tok.Text] = true
					c.df[tok.Text]++
				}
			}
		}
	}
	return c
}

// IDF is IDFWeight of the token's document frequency in the corpus.
func (c *Corpus) IDF(token string) float64 { return IDFWeight(c.df[token], c.n) }

// IDFWeight turns a document frequency df among n documents into a weight factor in
// [0.25,1]: 1 for a token found once or never, 0.25 for one found everywhere, falling
// with the logarithm of df between.
func IDFWeight(df, n int) float64 {
	if df <= 1 || n <= 1 {
		return 1
	}
	df = min(df, n)
	return 0.25 + 0.75*math.Log(float64(n+1)/float64(df))/math.Log(float64(n+1))
}

// Verdict classifies the result of matching one candidate.
type Verdict string

// The verdicts.
const (
	VerdictMatch     Verdict = "MATCH"     // one target clearly best
	VerdictAmbiguous Verdict = "AMBIGUOUS" // two or more targets too close to choose
	VerdictNone      Verdict = "NONE"      // nothing scores MatchThreshold
)

// Thresholds of Classify.
const (
	// MatchThreshold is the score the best target needs for the candidate to match at all.
	MatchThreshold = 0.80
	// AmbiguityMargin is the lead the best target needs over the second when both reach
	// MatchThreshold, or when the second is within this margin of a best that reaches it.
	AmbiguityMargin = 0.10
)

// Classify reads matches sorted as Best returns them. NONE when the best is under
// MatchThreshold. AMBIGUOUS when the second is within AmbiguityMargin of the best, or when
// the second also reaches MatchThreshold and the best is not exact (an exact name, alias
// or id outranks any inexact one). MATCH otherwise.
func Classify(ms []Match) Verdict {
	if len(ms) == 0 || ms[0].Score < MatchThreshold {
		return VerdictNone
	}
	if len(ms) == 1 || exactKind(ms[0]) == ReasonExactID {
		return VerdictMatch
	}
	if ms[0].Score-ms[1].Score < AmbiguityMargin {
		return VerdictAmbiguous
	}
	if ms[1].Score >= MatchThreshold && (exactKind(ms[0]) == "" || exactKind(ms[1]) != "") {
		return VerdictAmbiguous
	}
	return VerdictMatch
}

// exactKind is the kind of a match's exact reason (id, name or alias), or "".
func exactKind(m Match) string {
	if len(m.Reasons) > 0 {
		switch k := m.Reasons[0].Kind; k {
		case ReasonExactID, ReasonExactName, ReasonExactAlias:
			return k
		}
	}
	return ""
}
