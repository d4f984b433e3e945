package match

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"riskgraph/internal/kg"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Kaspersky Lab", "kaspersky lab"},
		{"KASPERSKY LABS", "kaspersky lab"},
		{"Kaspersky Laboratory", "kaspersky lab"},
		{"kasperski", "kaspersky"},
		{"Kasperskiy", "kaspersky"},
		{"Касперский", "kaspersky"},
		{"Лаборатория Касперского", "lab kaspersky"},
		{"АО «Лаборатория Касперского»", "jsc lab kaspersky"},
		{"ЗАО Ромашка", "cjsc romashka"},
		{"ООО «Волгатель»", "llc volgatel"},
		{"Евгений Касперский", "evgeny kaspersky"},
		{"Яровая", "yarovaya"},
		{"ФСБ", "fsb"},
		{"Best Buy Co., Inc.", "best buy co inc"},
		{"BestBuy", "best buy"},
		{"bestbuy", "bestbuy"},
		{"IBMSystems", "ibm system"},
		{"Ostrander GmbH & Co. KG", "ostrander gmbh and co kg"},
		{"Acme KGaA", "acme kgaa"},
		{"AT&T", "att"},
		{"Procter & Gamble", "procter and gamble"},
		{"McDonald's", "mc donalds"},
		{"U.S. Department of Homeland Security", "us department of homeland security"},
		{"L.L.C.", "llc"},
		{"FAR 52.204-23", "far 52204 23"},
		{"FY2018", "fy 2018"},
		{"Vendor 0017", "vendor 17"},
		{"Société Générale S.A.", "societe generale sa"},
		{"Bundesamt für Sicherheit", "bundesamt fuer sicherheit"},
		{"Ørsted A/S", "orsted as"},
		{"Amazon.com, Inc.", "amazon com inc"},
		{"Int'l Business Machines Corp.", "international business machines corp"},
		{"Dept. of State", "department of state"},
		{"National Cyber Security Centre", "national cyber security center"},
		{"Elaine C. Duke", "elaine c duke"},
		{"ＡＣＭＥ　Ｌｔｄ", "acme ltd"}, // full-width forms, NFKC
		{"ﬁnance", "finance"},    // ligature, NFKC
		{"Straße", "strasse"},    // case folding
		{"  --  ", ""},
		{"", ""},
	} {
		if got := Normalize(tc.in).Key(); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeClasses(t *testing.T) {
	n := Normalize("The Norvex Systems Intl. Inc 7 E.")
	var got []string
	for _, tok := range n.Tokens {
		got = append(got, tok.Text+"/"+tok.Class.String())
	}
	want := []string{"the/stop", "norvex/core", "system/generic", "international/generic", "inc/legal", "7/number", "e/stop"}
	if !slices.Equal(got, want) {
		t.Errorf("classes = %v, want %v", got, want)
	}
	if tok := n.Tokens[6]; !tok.Abbrev {
		t.Errorf("a single letter should read as an initial: %+v", tok)
	}
	if tok := Normalize("Касперский").Tokens[0]; !tok.Translit || !tok.Folded || tok.Raw != "касперский" {
		t.Errorf("Cyrillic token flags: %+v", tok)
	}
	if tok := Normalize("Systems").Tokens[0]; tok.Word != "systems" || tok.Text != "system" {
		t.Errorf("plural: %+v", tok)
	}
}

func TestCountry(t *testing.T) {
	for in, want := range map[string]string{
		"RU": "RU", "ru": "RU", "RUS": "RU", "Russia": "RU", "Russian Federation": "RU",
		"643": "RU", "UK": "GB", "United Kingdom": "GB", "GB": "GB", "USA": "US", "U.S.A.": "US",
		"United States": "US", "United States of America": "US", "Germany": "DE", "DEU": "DE",
		"": "", "Atlantis": "", "XX": "", "ZZ": "",
	} {
		if got := Country(in); got != want {
			t.Errorf("Country(%q) = %q, want %q", in, got, want)
		}
	}
}

// namePool is names to draw properties from: the seed's, the test targets', restyled ones
// and invented ones.
func namePool(t testing.TB) []string {
	var pool []string
	for _, tg := range append(seedTargets(t), fileTargets(t)...) {
		pool = append(pool, tg.Name)
		pool = append(pool, tg.Aliases...)
	}
	r := rand.New(rand.NewPCG(3, 4))
	n := len(pool)
	for i := range n {
		if v := restyles[r.IntN(len(restyles))].f(r, strings.Fields(pool[i])); v != "" {
			pool = append(pool, v)
		}
	}
	for _, d := range distractors(200, 9) {
		pool = append(pool, d.Name)
	}
	for _, lc := range allCases(t) {
		pool = append(pool, lc.c.Name)
	}
	return pool
}

func sumWeights(m Match) float64 {
	s := 0.0
	for _, r := range m.Reasons {
		s += r.Weight
	}
	return s
}

// TestScoreProperties checks, over drawn pairs of names with drawn evidence: the score is
// in [0,1]; scoring is deterministic; the reasons' weights add up to the score; and name
// similarity is symmetric.
func TestScoreProperties(t *testing.T) {
	pool := namePool(t)
	countries := []string{"", "RU", "US", "GB", "Germany"}
	kinds := append([]kg.Kind{""}, kg.Kinds...)
	rapid.Check(t, func(rt *rapid.T) {
		x := rapid.SampledFrom(pool).Draw(rt, "x")
		y := rapid.SampledFrom(pool).Draw(rt, "y")
		alias := rapid.SampledFrom(pool).Draw(rt, "alias")
		c := Candidate{Name: x, Country: rapid.SampledFrom(countries).Draw(rt, "cc"),
			Kind: rapid.SampledFrom(kinds).Draw(rt, "ck")}
		tg := Target{ID: "vendor:t", Name: y, Aliases: []string{alias},
			Country: rapid.SampledFrom(countries).Draw(rt, "tc")}
		m := Score(c, tg)
		if m.Score < 0 || m.Score > 1 || math.IsNaN(m.Score) {
			rt.Fatalf("score %v out of [0,1]: %+v", m.Score, m)
		}
		if again := Score(c, tg); !reflect.DeepEqual(m, again) {
			rt.Fatalf("not deterministic:\n%+v\n%+v", m, again)
		}
		if d := math.Abs(sumWeights(m) - m.Score); d > 1e-9 {
			rt.Fatalf("reasons add up to %v, score %v: %+v", sumWeights(m), m.Score, m.Reasons)
		}
		ab := Score(Candidate{Name: x}, Target{ID: "vendor:y", Name: y}).Score
		ba := Score(Candidate{Name: y}, Target{ID: "vendor:x", Name: x}).Score
		if math.Abs(ab-ba) > 1e-9 {
			rt.Fatalf("not symmetric: %q→%q %v, back %v", x, y, ab, ba)
		}
	})
}

func TestExactID(t *testing.T) {
	tg := Target{ID: "vendor:kaspersky-lab", Name: "Kaspersky Lab", Country: "RU"}
	for _, c := range []Candidate{
		{Name: "something else entirely", IDs: []string{"vendor:kaspersky-lab"}},
		{Name: "x", IDs: []string{" Vendor:Kaspersky-Lab "}, Country: "US", Kind: kg.KindProduct},
		{Name: "vendor:kaspersky-lab"},
	} {
		m := Score(c, tg)
		if m.Score != 1 || len(m.Reasons) != 1 || m.Reasons[0].Kind != ReasonExactID {
			t.Errorf("Score(%+v) = %+v, want 1 by exact id", c, m)
		}
	}
	if m := Score(Candidate{Name: "Kaspersky Lab", IDs: []string{"vendor:other"}}, tg); m.Reasons[0].Kind == ReasonExactID {
		t.Errorf("another id must not count: %+v", m)
	}
}

// TestReasons checks that the reason a person would give comes out first.
func TestReasons(t *testing.T) {
	targets := seedTargets(t)
	for _, tc := range []struct{ name, id, reason string }{
		{"Kaspersky Lab", "vendor:kaspersky-lab", ReasonExactName},
		{"Kaspersky Labs", "vendor:kaspersky-lab", ReasonExactName},
		{"AO Kaspersky Lab", "vendor:kaspersky-lab", ReasonExactAlias},
		{"kasperski", "vendor:kaspersky-lab", ReasonExactAlias},
		{"Kapsersky Lab", "vendor:kaspersky-lab", ReasonEditDistance},
		{"Лаборатория Касперского", "vendor:kaspersky-lab", ReasonTransliteration},
		{"bestbuy", "retailer:best-buy", ReasonConcatenation},
		{"Best Buy Co., Inc.", "retailer:best-buy", ReasonTokenOverlap},
		{"Dept. of Homeland Security", "agency:dhs", ReasonTokenOverlap},
		{"Russian Fed.", "government:russian-federation", ReasonTokenOverlap},
	} {
		ms := Best(Candidate{Name: tc.name}, targets, 2)
		if len(ms) == 0 || ms[0].Target.ID != tc.id || len(ms[0].Reasons) == 0 || ms[0].Reasons[0].Kind != tc.reason {
			t.Errorf("%q: got %+v, want %s first by %s", tc.name, ms[0], tc.id, tc.reason)
			continue
		}
		if Classify(ms) != VerdictMatch {
			t.Errorf("%q: %s, want MATCH: %+v", tc.name, Classify(ms), ms)
		}
	}
	kinds := func(m Match) []string {
		var ks []string
		for _, r := range m.Reasons {
			ks = append(ks, r.Kind)
		}
		return ks
	}
	m := Score(Candidate{Name: "Best Buy Co., Inc."}, Target{ID: "retailer:best-buy", Name: "Best Buy"})
	if !slices.Contains(kinds(m), ReasonLegalForm) {
		t.Errorf("unmatched legal forms should be a reason: %+v", m.Reasons)
	}
	m = Score(Candidate{Name: "Federal Law 375-FZ"}, Target{ID: "law:x", Name: "Federal Law 374-FZ"})
	if !slices.Contains(kinds(m), ReasonNumberMismatch) || m.Score >= MatchThreshold {
		t.Errorf("different numbers: %+v", m)
	}
}

func TestEvidence(t *testing.T) {
	tg := Target{ID: "vendor:kasper-systems", Name: "Kasper Systems AG", Country: "DE"}
	base := Score(Candidate{Name: "Kasper Systems"}, tg).Score
	agree := Score(Candidate{Name: "Kasper Systems", Country: "Germany", Kind: kg.KindVendor}, tg).Score
	contra := Score(Candidate{Name: "Kasper Systems", Country: "RU"}, tg).Score
	wrongKind := Score(Candidate{Name: "Kasper Systems", Kind: kg.KindPerson}, tg).Score
	if !(agree > base && contra < base && wrongKind < contra) {
		t.Errorf("evidence: base %v, agreeing %v, other country %v, other kind %v", base, agree, contra, wrongKind)
	}
	if d := agree - base; math.Abs(d-(CountryAgrees+KindAgrees)) > 1e-9 {
		t.Errorf("agreeing evidence added %v", d)
	}
	// Evidence does not lift a name that shares nothing.
	if m := Score(Candidate{Name: "Zorblax", Country: "DE", Kind: kg.KindVendor}, tg); m.Score != 0 {
		t.Errorf("evidence alone scored %v", m.Score)
	}
}

func TestBest(t *testing.T) {
	ts := []Target{
		{ID: "vendor:b", Name: "Acme"},
		{ID: "vendor:a", Name: "Acme"},
		{ID: "vendor:c", Name: "Acme Systems"},
		{ID: "vendor:a", Name: "Acme"}, // given twice
		{ID: "vendor:d", Name: "Other"},
	}
	ms := Best(Candidate{Name: "ACME"}, ts, 0)
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.Target.ID)
	}
	if want := []string{"vendor:a", "vendor:b", "vendor:c", "vendor:d"}; !slices.Equal(ids, want) {
		t.Errorf("order %v, want %v", ids, want)
	}
	if got := Best(Candidate{Name: "ACME"}, ts, 2); len(got) != 2 {
		t.Errorf("n=2 gave %d", len(got))
	}
	if Classify(ms) != VerdictAmbiguous {
		t.Errorf("two exact names: %s, want AMBIGUOUS", Classify(ms))
	}
	if ms[0].Target.Kind != kg.KindVendor {
		t.Errorf("kind from the id prefix: %q", ms[0].Target.Kind)
	}
}

func TestClassify(t *testing.T) {
	exact := func(id string, s float64) Match {
		return Match{Target: Target{ID: id}, Score: s, Reasons: []Reason{{Kind: ReasonExactName, Weight: s}}}
	}
	fuzzy := func(id string, s float64) Match {
		return Match{Target: Target{ID: id}, Score: s, Reasons: []Reason{{Kind: ReasonTokenOverlap, Weight: s}}}
	}
	byID := Match{Target: Target{ID: "a"}, Score: 1, Reasons: []Reason{{Kind: ReasonExactID, Weight: 1}}}
	for _, tc := range []struct {
		name string
		ms   []Match
		want Verdict
	}{
		{"nothing", nil, VerdictNone},
		{"below threshold", []Match{fuzzy("a", MatchThreshold-0.01)}, VerdictNone},
		{"alone", []Match{fuzzy("a", 0.85)}, VerdictMatch},
		{"clear lead", []Match{fuzzy("a", 0.95), fuzzy("b", 0.6)}, VerdictMatch},
		{"too close", []Match{fuzzy("a", 0.85), fuzzy("b", 0.78)}, VerdictAmbiguous},
		{"both above, inexact", []Match{fuzzy("a", 0.99), fuzzy("b", 0.85)}, VerdictAmbiguous},
		{"exact over inexact", []Match{exact("a", 1), fuzzy("b", 0.85)}, VerdictMatch},
		{"two exact", []Match{exact("a", 1), exact("b", 1)}, VerdictAmbiguous},
		{"exact id", []Match{byID, exact("b", 1)}, VerdictMatch},
	} {
		if got := Classify(tc.ms); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestKeysContract checks the promise of Keys on the labelled set: whenever a positive
// case scores at least MatchThreshold against its entity, the two share a key.
func TestKeysContract(t *testing.T) {
	byID := map[string]Target{}
	for _, tg := range append(append(seedTargets(t), fileTargets(t)...), synthStyle(300)...) {
		byID[tg.ID] = tg
	}
	checked := 0
	for _, lc := range allCases(t) {
		tg, ok := byID[lc.expect]
		if !ok {
			continue
		}
		m := Score(Candidate{Name: lc.c.Name}, tg)
		if m.Score < MatchThreshold {
			continue
		}
		checked++
		ck := Keys(lc.c.Name)
		shared := false
		for _, s := range append([]string{tg.Name}, tg.Aliases...) {
			for _, k := range Keys(s) {
				if _, found := slices.BinarySearch(ck, k); found {
					shared = true
				}
			}
		}
		if !shared {
			t.Errorf("%q matches %s (%.2f) but shares no key: %v", lc.c.Name, tg.ID, m.Score, ck)
		}
	}
	if checked < 300 {
		t.Errorf("only %d cases checked", checked)
	}
}

func TestKeys(t *testing.T) {
	ks := Keys("Best Buy Co., Inc.")
	for _, want := range []string{"w:best", "w:buy", "w:bestbuy", "w:bb"} {
		if _, ok := slices.BinarySearch(ks, want); !ok {
			t.Errorf("Keys lacks %q: %v", want, ks)
		}
	}
	if !slices.IsSorted(ks) || len(slices.Compact(slices.Clone(ks))) != len(ks) {
		t.Errorf("keys not sorted and unique: %v", ks)
	}
	// One edit apart share a fuzzy key.
	share := func(a, b string) bool {
		kb := Keys(b)
		for _, k := range Keys(a) {
			if _, ok := slices.BinarySearch(kb, k); ok && strings.HasPrefix(k, KeyFuzzy) {
				return true
			}
		}
		return false
	}
	for _, p := range [][2]string{{"staples", "stapels"}, {"amazon", "amazn"}, {"depot", "depo"}, {"kaspersky", "kasparsky"}} {
		if !share(p[0], p[1]) {
			t.Errorf("%q and %q share no fuzzy key", p[0], p[1])
		}
	}
	if ks := Keys("Inc."); len(ks) == 0 {
		t.Error("a name of a legal form alone has no keys")
	}
	if KeyWeight("d:abc", 1, 100) != KeyWeight("w:abc", 1, 100)/2 {
		t.Error("fuzzy keys weigh half")
	}
	corpus := NewCorpus([]Target{{Name: "Acme Systems"}, {Name: "Zorb Systems"}, {Name: "Quux Systems", Aliases: []string{"Quux"}}})
	if !(corpus.IDF("system") < corpus.IDF("quux") && corpus.IDF("quux") == 1 && corpus.IDF("unseen") == 1) {
		t.Errorf("corpus IDF: system %v, quux %v", corpus.IDF("system"), corpus.IDF("quux"))
	}
	if IDFWeight(1, 1000) != 1 || IDFWeight(1000, 1000) >= 0.26 || IDFWeight(0, 0) != 1 {
		t.Error("IDFWeight bounds")
	}
}
