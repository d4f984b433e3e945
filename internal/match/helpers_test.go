package match

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"riskgraph/internal/kg"
)

// seedTargets reads the seed's entities as targets. A country comes from the entity's own
// attributes (country, iso3166, jurisdiction) or from the government it is headquartered
// in or part of.
func seedTargets(t testing.TB) []Target {
	t.Helper()
	type attr struct{ Key, Value string }
	type entity struct {
		ID         string
		Kind       kg.Kind
		Name       string
		Aliases    []string
		Attributes []attr
	}
	type rel struct{ Type, From, To string }
	var ents []entity
	var rels []rel
	files, err := filepath.Glob("../../seed/data/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("seed files: %v (found %d)", err, len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Entities      []entity
			Relationships []rel
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ents = append(ents, doc.Entities...)
		rels = append(rels, doc.Relationships...)
	}
	country := map[string]string{}
	for _, e := range ents {
		for _, a := range e.Attributes {
			if a.Key == "country" || a.Key == "iso3166" || a.Key == "jurisdiction" {
				country[e.ID] = a.Value
			}
		}
	}
	for _, r := range rels {
		if (r.Type == "HEADQUARTERED_IN" || r.Type == "PART_OF") && country[r.From] == "" {
			country[r.From] = country[r.To]
		}
	}
	out := make([]Target, 0, len(ents))
	for _, e := range ents {
		out = append(out, Target{ID: e.ID, Kind: e.Kind, Name: e.Name, Aliases: e.Aliases, Country: country[e.ID]})
	}
	return out
}

func readCSV(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

// fileTargets reads testdata/targets.csv: the synthetic entities the labelled cases name,
// and lookalikes of seed entities.
func fileTargets(t testing.TB) []Target {
	var out []Target
	for _, r := range readCSV(t, "testdata/targets.csv") {
		out = append(out, Target{ID: r["id"], Kind: kg.Kind(r["kind"]), Name: r["name"],
			Aliases: splitList(r["aliases"]), Country: r["country"]})
	}
	return out
}

// labelled is one case of the test set.
type labelled struct {
	c      Candidate
	expect string // an entity id, or "none"
	note   string
	file   string
}

func readCases(t testing.TB, path string) []labelled {
	var out []labelled
	for _, r := range readCSV(t, path) {
		out = append(out, labelled{
			c: Candidate{Name: r["name"], Country: r["country"], Kind: kg.Kind(r["kind"]),
				IDs: splitList(r["ids"])},
			expect: r["expect"], note: r["note"], file: filepath.Base(path),
		})
	}
	return out
}

// The distractor generator: company-like names made of invented words, common words and
// sector words, persons, products, agencies; and synth-style "Kind N" names like those of
// internal/synth. It is deterministic for a seed.
var (
	syllables = strings.Fields("ka lo ver ne tra mi dor sa len qui zo ra bel fin gar tel mar cor vin pol " +
		"den ax ix on ar ven tor lum nex sol ter vor dyn cal pra sen tek zar mon rel qua lis bro fel gan " +
		"hul jor kep lux mer nor pel rus sib tav ul vel wen yor zen bri cas dal esk fro gil hem ist jun")
	wordEnds    = strings.Fields("ex ia on ics ium ora is an el ar")
	commonWords = strings.Fields("North South East West Blue Red Green Silver Golden Star Sun River Lake " +
		"Pacific Atlantic Delta Alpha Omega Apex Summit Pioneer Liberty Eagle Falcon Lion Oak Pine Cedar " +
		"Maple Bright Clear Prime First United National American Euro Asia Metro City Valley Harbor Bay " +
		"Coast Mountain Peak Bridge Gate Point Stone Iron Steel Data Cyber Net Soft Info Micro Quantum " +
		"Digital Smart Secure Cloud Logic Core Vector Matrix Nova Stellar Federal Royal Imperial Central")
	sectorWords = strings.Fields("Systems Technologies Solutions Software Networks Security Logistics Energy " +
		"Foods Pharma Health Capital Partners Consulting Services Trading Industries Manufacturing " +
		"Electronics Telecom Media Labs Analytics Robotics Materials Chemicals Motors Airlines Bank " +
		"Insurance Retail Supply Stores Holdings Group International Devices Instruments Marine Mining")
	legalWords = []string{"Inc.", "LLC", "Ltd", "GmbH", "AG", "S.A.", "PLC", "Corp.", "Co.", "JSC", "OOO",
		"B.V.", "Pty Ltd", "Limited", "Corporation", "SRL", "AB", "Oy", "", "", "", ""}
	firstNames = strings.Fields("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth " +
		"William Barbara Richard Susan Joseph Jessica Thomas Sarah Ivan Olga Pierre Marie Hans Ingrid " +
		"Luca Giulia Kenji Yuki Wei Mei Carlos Sofia Ahmed Fatima Lars Astrid Pavel Irina")
	countries   = strings.Fields("US US US GB DE FR RU CN JP IN BR CA AU NL SE CH IT ES KR IL")
	productNoun = strings.Fields("Endpoint Firewall Router Gateway Suite Cloud Server Scanner Agent Shield " +
		"Vault Monitor Console Tablet Phone Camera Switch Drive Sensor Platform")
	agencyWords = strings.Fields("Authority Agency Commission Bureau Office Council Ministry Service Board")
)

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func inventedWord(r *rand.Rand) string {
	var b strings.Builder
	for range 2 + r.IntN(2) {
		b.WriteString(syllables[r.IntN(len(syllables))])
	}
	if r.IntN(3) == 0 {
		b.WriteString(wordEnds[r.IntN(len(wordEnds))])
	}
	return title(b.String())
}

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

// distinctive is an invented word mostly, a common word sometimes.
func distinctive(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return pick(r, commonWords)
	}
	return inventedWord(r)
}

// genName makes one name of the given kind.
func genName(r *rand.Rand, k kg.Kind) string {
	join := func(ws ...string) string { return strings.Join(strings.Fields(strings.Join(ws, " ")), " ") }
	switch k {
	case kg.KindPerson:
		return join(pick(r, firstNames), inventedWord(r))
	case kg.KindProduct:
		name := join(inventedWord(r), pick(r, productNoun))
		if r.IntN(2) == 0 {
			name += fmt.Sprintf(" %d", 1+r.IntN(20))
		}
		return name
	case kg.KindAgency:
		return join(pick(r, commonWords), inventedWord(r), pick(r, agencyWords))
	}
	switch r.IntN(4) {
	case 0:
		return join(distinctive(r), pick(r, sectorWords), pick(r, legalWords))
	case 1:
		return join(distinctive(r), distinctive(r), pick(r, sectorWords), pick(r, legalWords))
	case 2:
		return join(inventedWord(r), pick(r, legalWords))
	default:
		return join(pick(r, commonWords), inventedWord(r), pick(r, legalWords))
	}
}

var distractorKinds = []kg.Kind{kg.KindVendor, kg.KindVendor, kg.KindVendor, kg.KindOrganization,
	kg.KindOrganization, kg.KindRetailer, kg.KindProduct, kg.KindProduct, kg.KindPerson, kg.KindAgency}

// distractors makes n invented targets with ids "<kind>:d<seed>-<i>".
func distractors(n int, seed uint64) []Target {
	r := rand.New(rand.NewPCG(seed, 0xd157))
	out := make([]Target, n)
	for i := range out {
		k := distractorKinds[r.IntN(len(distractorKinds))]
		out[i] = Target{ID: fmt.Sprintf("%sd%d-%07d", k.IDPrefix(), seed, i), Kind: k,
			Name: genName(r, k), Country: pick(r, countries)}
	}
	return out
}

// synthStyle makes targets named as internal/synth names entities ("Vendor 17"), n of each
// of the kinds vendor, product and organization, with ids "<kind>:s0017".
func synthStyle(n int) []Target {
	var out []Target
	for _, k := range []kg.Kind{kg.KindVendor, kg.KindProduct, kg.KindOrganization} {
		for i := 1; i <= n; i++ {
			out = append(out, Target{ID: fmt.Sprintf("%ss%04d", k.IDPrefix(), i), Kind: k, Name: fmt.Sprintf("%s %d", k, i)})
		}
	}
	return out
}
