package seed

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store/embedded"
)

func mustLoad(t *testing.T) kg.Batch {
	t.Helper()
	b, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return b
}

func entityIndex(b kg.Batch) map[string]kg.Entity {
	m := make(map[string]kg.Entity, len(b.Entities))
	for _, e := range b.Entities {
		m[e.ID] = e
	}
	return m
}

func TestLoadHasContractIDs(t *testing.T) {
	b := mustLoad(t)
	ents := entityIndex(b)
	ids := []string{
		"vendor:kaspersky-lab", "government:russian-federation", "government:united-states",
		"agency:dhs", "agency:gsa", "agency:fsb", "agency:russian-embassy-us", "agency:us-senate",
		"agency:fcc", "agency:bis", "agency:ofac", "agency:uk-ncsc", "agency:de-bsi",
		"government:united-kingdom", "government:germany", "directive:bod-17-01",
		"directive:gsa-schedule-70-removal", "directive:fcc-covered-list-2022",
		"directive:bis-icts-kaspersky-2024", "retailer:best-buy", "retailer:amazon",
		"retailer:office-depot", "retailer:staples", "product:kaspersky-anti-virus",
		"organization:us-federal-agencies", "person:eugene-kaspersky", "person:elaine-duke",
		"law:ru-40-fz", "law:ru-144-fz", "law:ru-126-fz-art64", "law:ru-374-fz", "law:ru-375-fz",
		"law:us-ndaa-fy2018-s1634", "directive:far-52-204-23", "agency:far-council",
		"source:reuters-ap-2017-09-13",
		"source:ians-business-standard-2017-09-14", "source:kaspersky-statement-2017-09-13",
	}
	for _, id := range ids {
		if _, ok := ents[id]; !ok {
			t.Errorf("seed lacks %s", id)
		}
	}
	bod := ents["directive:bod-17-01"]
	if bod.Validity.From != kg.NewDate(2017, 9, 13) {
		t.Errorf("BOD 17-01 valid from %v, want 2017-09-13", bod.Validity.From)
	}
	due := map[string]kg.Date{}
	for _, o := range bod.Obligations {
		due[o.ID] = o.Due
	}
	want := map[string]kg.Date{"identify": 20171013, "plan": 20171112, "remove": 20171212}
	for id, d := range want {
		if due[id] != d {
			t.Errorf("BOD 17-01 obligation %s due %v, want %v", id, due[id], d)
		}
	}
	// Section 1634 is a statute (Law); its start date reaches agencies as an obligation of
	// the FAR rule that implements it.
	if k := ents["law:us-ndaa-fy2018-s1634"].Kind; k != kg.KindLaw {
		t.Errorf("section 1634 is a %s, want Law", k)
	}
	far := ents["directive:far-52-204-23"]
	if !slices.ContainsFunc(far.Obligations, func(o kg.Obligation) bool { return o.Due == 20181001 }) {
		t.Errorf("FAR 52.204-23 has no obligation due 2018-10-01: %+v", far.Obligations)
	}
}

func TestReferentialIntegrity(t *testing.T) {
	b := mustLoad(t)
	if err := checkReferences(b); err != nil {
		t.Fatalf("loaded seed: %v", err)
	}
	// The check must catch each kind of dangling reference.
	broken := []struct {
		name   string
		mutate func(*kg.Batch)
		field  string
	}{
		{"relationship end", func(b *kg.Batch) { b.Relationships[0].To = "law:nowhere" }, "relationships[0].to"},
		{"signal entity", func(b *kg.Batch) { b.Signals[0].EntityID = "vendor:nobody" }, "signals[0].entity"},
		{"citation", func(b *kg.Batch) { b.Signals[0].Sources[0].SourceID = "source:unknown" }, "signals[0].sources[0].source"},
	}
	for _, tc := range broken {
		t.Run(tc.name, func(t *testing.T) {
			c := mustLoad(t)
			tc.mutate(&c)
			err := checkReferences(c)
			var ve *kg.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("err = %v, want a ValidationError on %s", err, tc.field)
			}
		})
	}
}

func TestEveryFactCited(t *testing.T) {
	b := mustLoad(t)
	for _, e := range b.Entities {
		if len(e.Sources) == 0 {
			t.Errorf("entity %s has no citation", e.ID)
		}
		for _, o := range e.Obligations {
			if len(o.Sources) == 0 {
				t.Errorf("obligation %s/%s has no citation", e.ID, o.ID)
			}
		}
	}
	for _, r := range b.Relationships {
		if len(r.Sources) == 0 {
			t.Errorf("relationship %s has no citation", r.ID())
		}
	}
	for _, g := range b.Signals {
		if len(g.Sources) == 0 {
			t.Errorf("signal %s has no citation", g.ID)
		}
	}
	for _, c := range allCitations(b) {
		if strings.TrimSpace(c.Excerpt) == "" {
			t.Errorf("citation of %s has no excerpt", c.SourceID)
		}
	}
}

func allCitations(b kg.Batch) []kg.Citation {
	var cs []kg.Citation
	for _, e := range b.Entities {
		cs = append(cs, e.Sources...)
		for _, o := range e.Obligations {
			cs = append(cs, o.Sources...)
		}
	}
	for _, r := range b.Relationships {
		cs = append(cs, r.Sources...)
	}
	for _, g := range b.Signals {
		cs = append(cs, g.Sources...)
	}
	return cs
}

func TestInferredLinksHaveLowerConfidence(t *testing.T) {
	b := mustLoad(t)
	n := 0
	for _, r := range b.Relationships {
		if !r.Inferred {
			continue
		}
		n++
		if c := r.EffectiveConfidence(); c >= 1 {
			t.Errorf("inferred %s has confidence %v, want < 1", r.ID(), c)
		}
		if r.Note == "" {
			t.Errorf("inferred %s does not say why in its note", r.ID())
		}
	}
	if n == 0 {
		t.Error("no inferred relationship: the Russian-law links and federal USES must be marked inferred")
	}
}

func TestDenialIsKept(t *testing.T) {
	b := mustLoad(t)
	const denial = "source:kaspersky-statement-2017-09-13"
	disputes := func(cs []kg.Citation) bool {
		return slices.ContainsFunc(cs, func(c kg.Citation) bool {
			return c.SourceID == denial && c.Stance == kg.StanceDisputes
		})
	}
	var onRussia, onVendor, onLaw bool
	for _, g := range b.Signals {
		if g.Dimension != kg.DimForeignInfluence || !disputes(g.Sources) {
			continue
		}
		switch g.EntityID {
		case "government:russian-federation":
			onRussia = true
		case "vendor:kaspersky-lab":
			onVendor = true
		}
	}
	for _, r := range b.Relationships {
		if r.Type == kg.RelAppliesTo && strings.HasPrefix(r.From, "law:ru-") {
			if !disputes(r.Sources) {
				t.Errorf("%s lacks the company's DISPUTES citation", r.ID())
			}
			onLaw = true
		}
	}
	if !onRussia {
		t.Error("the foreign-influence signal on Russia lacks the company's DISPUTES citation")
	}
	if !onVendor {
		t.Error("the foreign-influence signal on Kaspersky Lab lacks the company's DISPUTES citation")
	}
	// The denial is a source of its own, stated by the company.
	ents := entityIndex(b)
	if e, ok := ents[denial]; !ok || e.Kind != kg.KindSource {
		t.Errorf("%s is not a Source entity", denial)
	}
	if !onLaw {
		t.Error("no Russian law APPLIES_TO link")
	}
}

func TestStoryLinks(t *testing.T) {
	b := mustLoad(t)
	rels := map[string]kg.Relationship{}
	for _, r := range b.Relationships {
		rels[r.ID()] = r
	}
	tests := []struct {
		from string
		typ  kg.RelType
		to   string
	}{
		{"agency:dhs", kg.RelIssued, "directive:bod-17-01"},
		{"directive:bod-17-01", kg.RelTargets, "vendor:kaspersky-lab"},
		{"directive:bod-17-01", kg.RelTargets, "product:kaspersky-anti-virus"},
		{"directive:bod-17-01", kg.RelBinds, "organization:us-federal-agencies"},
		{"vendor:kaspersky-lab", kg.RelHeadquarteredIn, "government:russian-federation"},
		{"vendor:kaspersky-lab", kg.RelMakes, "product:kaspersky-anti-virus"},
		{"government:russian-federation", kg.RelEnacted, "law:ru-144-fz"},
		{"law:ru-144-fz", kg.RelAppliesTo, "vendor:kaspersky-lab"},
		{"law:us-ndaa-fy2018-s1634", kg.RelTargets, "vendor:kaspersky-lab"},
		{"retailer:best-buy", kg.RelDelisted, "product:kaspersky-anti-virus"},
		{"retailer:amazon", kg.RelSells, "product:kaspersky-anti-virus"},
		{"organization:us-federal-agencies", kg.RelUses, "product:kaspersky-anti-virus"},
		{"agency:gsa", kg.RelIssued, "directive:gsa-schedule-70-removal"},
		{"person:eugene-kaspersky", kg.RelOfficerOf, "vendor:kaspersky-lab"},
		{"source:russian-embassy-statement-2017-09-14", kg.RelStatedBy, "agency:russian-embassy-us"},
		{"source:kaspersky-statement-2017-09-13", kg.RelStatedBy, "vendor:kaspersky-lab"},
		{"government:united-states", kg.RelEnacted, "law:us-ndaa-fy2018-s1634"},
		{"agency:far-council", kg.RelIssued, "directive:far-52-204-23"},
		{"directive:far-52-204-23", kg.RelBinds, "organization:us-federal-agencies"},
		{"directive:far-52-204-23", kg.RelTargets, "vendor:kaspersky-lab"},
	}
	for _, tc := range tests {
		if _, ok := rels[kg.RelationshipID(tc.from, tc.typ, tc.to)]; !ok {
			t.Errorf("missing %s -%s-> %s", tc.from, tc.typ, tc.to)
		}
	}
	if r := rels[kg.RelationshipID("retailer:best-buy", kg.RelSells, "product:kaspersky-anti-virus")]; r.Validity.To != 20170908 {
		t.Errorf("Best Buy SELLS ends %v, want 2017-09-08", r.Validity.To)
	}
	// A retailer's SELLS ends on the day its DELISTED starts, so no date has both or neither.
	for _, r := range b.Relationships {
		if r.Type != kg.RelDelisted {
			continue
		}
		sells, ok := rels[kg.RelationshipID(r.From, kg.RelSells, r.To)]
		if !ok || sells.Validity.To != r.Validity.From || r.Validity.From == 0 {
			t.Errorf("%s starts %v but SELLS ends %v (present: %v); want the same date", r.ID(), r.Validity.From, sells.Validity.To, ok)
		}
	}
	if r := rels[kg.RelationshipID("retailer:amazon", kg.RelSells, "product:kaspersky-anti-virus")]; r.Validity.To != 0 {
		t.Errorf("Amazon SELLS ends %v, want open", r.Validity.To)
	}
}

// timelineDates collects every date at which some fact of the seed starts or stops holding:
// validity ends and obligation due dates (attributes do not count: nothing replays them).
func timelineDates(b kg.Batch) map[kg.Date]bool {
	m := map[kg.Date]bool{}
	add := func(v kg.Validity) { m[v.From] = true; m[v.To] = true }
	for _, e := range b.Entities {
		add(e.Validity)
		for _, o := range e.Obligations {
			m[o.Due] = true
		}
	}
	for _, r := range b.Relationships {
		add(r.Validity)
	}
	for _, g := range b.Signals {
		add(g.Validity)
	}
	return m
}

// Every dated row of the timeline in shared/case/facts.md must be replayable with asOf.
func TestTimelineDates(t *testing.T) {
	dates := timelineDates(mustLoad(t))
	for _, tc := range []struct {
		date string
		fact string
	}{
		{"2017-07-11", "GSA drops Kaspersky from its schedules"},
		{"2017-09-08", "Best Buy stops selling Kaspersky products"},
		{"2017-09-13", "DHS issues BOD 17-01"},
		{"2017-10-13", "BOD 17-01: identify products (30 days)"},
		{"2017-11-12", "BOD 17-01: removal plan (60 days)"},
		{"2017-12-12", "BOD 17-01: begin removal (90 days); NDAA FY2018 signed"},
		{"2017-09-14", "Russian embassy calls the decision regrettable"},
		{"2017-09-19", "BOD 17-01 in the Federal Register, 82 FR 43782"},
		{"2018-10-01", "section 1634 ban takes effect"},
		{"2018-05-30", "district court dismisses Kaspersky's suits"},
		{"2018-11-30", "appeals court affirms"},
		{"2018-06-15", "FAR 52.204-23 interim rule published"},
		{"2018-07-16", "FAR 52.204-23 takes effect"},
		{"2017-12-01", "UK NCSC advice on Russian anti-virus"},
		{"2022-03-15", "German BSI warning"},
		{"2022-03-25", "FCC Covered List addition"},
		{"2024-06-20", "BIS ICTS Final Determination"},
		{"2024-07-20", "BIS: no new agreements"},
		{"2024-09-29", "BIS: no updates or resale"},
		{"2024-06-21", "OFAC designates twelve executives"},
	} {
		d, err := kg.ParseDate(tc.date)
		if err != nil {
			t.Fatal(err)
		}
		if !dates[d] {
			t.Errorf("%s (%s): no validity or obligation due date carries it", tc.date, tc.fact)
		}
	}
}

// seedStrings lists every piece of prose in the seed.
func seedStrings(b kg.Batch) []string {
	var s []string
	cites := func(cs []kg.Citation) {
		for _, c := range cs {
			s = append(s, c.Excerpt)
		}
	}
	for _, e := range b.Entities {
		s = append(s, e.Name, e.Description)
		s = append(s, e.Aliases...)
		for _, a := range e.Attributes {
			s = append(s, a.Value)
		}
		for _, o := range e.Obligations {
			s = append(s, o.Title, o.Description)
			cites(o.Sources)
		}
		cites(e.Sources)
	}
	for _, r := range b.Relationships {
		s = append(s, r.Note)
		cites(r.Sources)
	}
	for _, g := range b.Signals {
		s = append(s, g.Reason)
		cites(g.Sources)
	}
	return s
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

const runLen = 12

func TestNoCopiedSentences(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "shared", "case", "*.txt"))
	if len(paths) == 0 {
		t.Skip("article texts not found next to the module")
	}
	runs := map[string]string{}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		w := words(string(raw))
		for i := 0; i+runLen <= len(w); i++ {
			runs[strings.Join(w[i:i+runLen], " ")] = filepath.Base(p)
		}
	}
	for _, s := range seedStrings(mustLoad(t)) {
		w := words(s)
		for i := 0; i+runLen <= len(w); i++ {
			if f, ok := runs[strings.Join(w[i:i+runLen], " ")]; ok {
				t.Errorf("%q repeats 12 words of %s; paraphrase it", s, f)
				break
			}
		}
	}
}

func TestApplyIsIdempotent(t *testing.T) {
	ctx := t.Context()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	s := service.New(st, risk.DefaultModel())
	defer s.Close()
	empty, err := s.Empty(ctx)
	if err != nil || !empty {
		t.Fatalf("Empty on a new store = %v, %v; want true", empty, err)
	}
	b := mustLoad(t)
	total := len(b.Entities) + len(b.Relationships) + len(b.Signals)
	first, err := Apply(ctx, s)
	if err != nil {
		t.Fatalf("first Apply: %v", err)
	}
	if len(first.Created) != total {
		t.Errorf("first Apply created %d, want %d", len(first.Created), total)
	}
	second, err := Apply(ctx, s)
	if err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if len(second.Created)+len(second.Updated) != 0 || len(second.Unchanged) != total {
		t.Errorf("second Apply: created %v, updated %v, %d unchanged; want all %d unchanged",
			second.Created, second.Updated, len(second.Unchanged), total)
	}
	empty, err = s.Empty(ctx)
	if err != nil || empty {
		t.Errorf("Empty after seeding = %v, %v; want false", empty, err)
	}
}

// seeded opens a fresh embedded store with the seed applied.
func seeded(t *testing.T) *service.Service {
	t.Helper()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	s := service.New(st, risk.DefaultModel())
	t.Cleanup(func() { s.Close() })
	if _, err := Apply(t.Context(), s); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return s
}

// Section 1634's control clause reaches the illustrative affiliate and its product; BOD 17-01,
// aimed at Kaspersky-branded products, does not.
func TestSection1634CoversAffiliates(t *testing.T) {
	s := seeded(t)
	const affiliate, suite = "vendor:illustrative-kaspersky-affiliate", "product:illustrative-affiliate-endpoint-suite"
	law, err := s.Coverage(t.Context(), "law:us-ndaa-fy2018-s1634", service.AsOf(20181002))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"vendor:kaspersky-lab", affiliate, suite, "product:kaspersky-anti-virus"} {
		if !law.Covers(id) {
			t.Errorf("section 1634 does not cover %s", id)
		}
	}
	bod, err := s.Coverage(t.Context(), "directive:bod-17-01", service.AsOf(20171001))
	if err != nil {
		t.Fatal(err)
	}
	if bod.Covers(affiliate) || bod.Covers(suite) {
		t.Errorf("BOD 17-01 covers Kaspersky-branded products only, yet covers the affiliate or its suite: %+v", bod.Entities)
	}
}

// The illustrative bureau met BOD 17-01's 30- and 60-day obligations with evidence and missed
// the 90-day one; under section 1634 it is overdue through the affiliate's suite.
func TestIllustrativeBureauCompliance(t *testing.T) {
	s := seeded(t)
	const bureau = "agency:illustrative-federal-bureau"
	statuses := func(rule string, asOf kg.Date) (service.ComplianceStatus, map[string]service.ComplianceStatus) {
		t.Helper()
		c, err := s.Compliance(t.Context(), rule, service.AsOf(asOf))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.Parties {
			if p.PartyID == bureau {
				each := map[string]service.ComplianceStatus{}
				for _, o := range p.Obligations {
					each[o.State.ID] = o.Status
				}
				return p.Status, each
			}
		}
		t.Fatalf("%s does not bind %s on %s", rule, bureau, asOf)
		return "", nil
	}
	overall, each := statuses("directive:bod-17-01", 20171220)
	if overall != service.Overdue || each["identify"] != service.Met || each["plan"] != service.Met || each["remove"] != service.Overdue {
		t.Errorf("BOD 17-01 on 2017-12-20: %s %v, want OVERDUE with identify and plan MET, remove OVERDUE", overall, each)
	}
	if overall, each := statuses("law:us-ndaa-fy2018-s1634", 20180901); overall != service.Pending || each["stop-use"] != service.Pending {
		t.Errorf("section 1634 before its effective date: %s %v, want PENDING", overall, each)
	}
	if overall, _ := statuses("law:us-ndaa-fy2018-s1634", 20181002); overall != service.Overdue {
		t.Errorf("section 1634 on 2018-10-02, the affiliate's suite still in use: %s, want OVERDUE", overall)
	}
}
