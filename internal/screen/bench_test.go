package screen

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"riskgraph/internal/benchutil"
	"riskgraph/internal/kg"
	"riskgraph/internal/match"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/synth"
)

// The benchmarks load a synthetic graph (internal/synth, with realistic names in place of
// synth's "Vendor 17") into an embedded store through service.Load, then match and screen
// restyled names of its entities: typos, legal forms dropped or respelled, case, words
// joined, and one query in five a name nobody holds.
//
//	go test -run '^$' -bench Match1M -benchtime 2000x -timeout 60m ./internal/screen/
//	go test -run '^$' -bench Screen10k -benchtime 1x -timeout 60m ./internal/screen/
//	go test -run '^$' -bench 'Match1M|Screen10k' -benchtime 1x -relationships 2000000 ./internal/screen/
//
// -entities and -relationships size the graph (1,000,000 and none by default: matching reads
// entities only; relationships give the exposure reads of screening something to walk).
var (
	benchEntities      = flag.Int("entities", 1_000_000, "entities the benchmarks load")
	benchRelationships = flag.Int("relationships", 0, "relationships the benchmarks load")
)

var bench struct {
	once    sync.Once
	svc     *service.Service
	queries []benchQuery
	err     error
}

type benchQuery struct {
	name string
	want string // the id the name was made from; "" for a name nobody holds
}

func benchSetup(b *testing.B) (*service.Service, []benchQuery) {
	if testing.Short() {
		b.Skip("loads a large graph")
	}
	bench.once.Do(func() {
		start := time.Now()
		batch := synth.Generate(synth.Config{Entities: *benchEntities, Relationships: *benchRelationships, Seed: 1, SignalRate: 0.01})
		r := rand.New(rand.NewPCG(3, 5))
		for i := range batch.Entities {
			batch.Entities[i].Name = inventName(r, batch.Entities[i].Kind)
		}
		gen := time.Since(start)
		dir, err := os.MkdirTemp("", "riskgraph-screen-bench")
		if err != nil {
			bench.err = err
			return
		}
		s, err := embedded.Open(filepath.Join(dir, "db"))
		if err != nil {
			bench.err = err
			return
		}
		bench.svc = service.New(s, risk.DefaultModel())
		start = time.Now()
		if _, err := bench.svc.Load(context.Background(), batch, service.LoadOptions{BatchSize: 50_000, Workers: 1}); err != nil {
			bench.err = err
			return
		}
		b.Logf("generated %d entities and %d relationships in %s, loaded in %s", len(batch.Entities), len(batch.Relationships),
			gen.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		// Queries: restyled names of the kinds a supplier list holds, and names nobody holds.
		for len(bench.queries) < 20_000 {
			if r.IntN(5) == 0 {
				bench.queries = append(bench.queries, benchQuery{name: inventName(r, kg.KindVendor)})
				continue
			}
			e := batch.Entities[r.IntN(len(batch.Entities))]
			switch e.Kind {
			case kg.KindVendor, kg.KindOrganization, kg.KindRetailer, kg.KindProduct:
				bench.queries = append(bench.queries, benchQuery{name: restyle(r, e.Name), want: e.ID})
			}
		}
		batch = kg.Batch{}
		runtime.GC()
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.svc, bench.queries
}

// BenchmarkMatch1M matches one candidate at a time: goal p99 < 50 ms on 1,000,000 entities.
// found-% is the share of restyled names whose best match is the entity they came from.
func BenchmarkMatch1M(b *testing.B) {
	svc, qs := benchSetup(b)
	ctx := context.Background()
	var lat benchutil.Latencies
	var found, positives, matched int
	b.ResetTimer()
	for i := range b.N {
		q := qs[i%len(qs)]
		var res []service.MatchResult
		var err error
		lat.Time(func() { res, err = svc.Match(ctx, []match.Candidate{{Name: q.name}}, service.At{}, 3) })
		if err != nil {
			b.Fatal(err)
		}
		if res[0].Verdict == match.VerdictMatch {
			matched++
		}
		if q.want != "" {
			positives++
			if len(res[0].Matches) > 0 && res[0].Matches[0].Target.ID == q.want {
				found++
			}
		}
	}
	b.StopTimer()
	lat.Report(b)
	if positives > 0 {
		b.ReportMetric(100*float64(found)/float64(positives), "found-%")
	}
	b.ReportMetric(100*float64(matched)/float64(b.N), "MATCH-%")
}

// BenchmarkScreen10k screens a list of 10,000 rows (Workers = GOMAXPROCS): goal under 60 s
// on 1,000,000 entities.
func BenchmarkScreen10k(b *testing.B) {
	svc, qs := benchSetup(b)
	rows := make([]Row, 10_000)
	for i := range rows {
		rows[i] = Row{Line: i + 2, Name: qs[i%len(qs)].name}
	}
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		rep, err := Run(context.Background(), svc, rows, Options{Workers: runtime.GOMAXPROCS(0)})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/list")
		b.ReportMetric(float64(rep.Summary.Match), "MATCH-rows")
		b.ReportMetric(float64(rep.Summary.Errors), "error-rows")
	}
}

// Words names are made of.
var (
	syllables = strings.Fields("ka ro vex tan mi lo zen dra bel cor ni sa tek nor vi da lux pra gen ar ion mer fal quo " +
		"sten hal ber gru pol ket mon ras tor vel xan yor zim bra chi del fen gor hex jun kal lim nex orb pex rin sol tri " +
		"umb var wil zor")
	sectorWords  = strings.Fields("Systems Data Software Networks Technologies Security Solutions Industries Holdings Group Labs Electronics Telecom Logistics Services International Digital Cyber")
	legalWords   = []string{"Inc.", "Ltd", "LLC", "GmbH", "Corp.", "AB", "JSC", "S.A.", "PLC", "Co.", "AG", "Oy", "", "", ""}
	productNouns = strings.Fields("Antivirus Firewall Router Camera Suite Server Endpoint Cloud Scanner Gateway Phone Modem")
	firstNames   = strings.Fields("Anna Boris Carla Dmitri Elena Farid Greta Hiro Ivan Julia Karl Lena Marco Nadia Oleg Petra")
)

func pickOf(r *rand.Rand, ws []string) string { return ws[r.IntN(len(ws))] }

// inventWord makes a capitalised word of two to four syllables.
func inventWord(r *rand.Rand) string {
	var b strings.Builder
	for range 2 + r.IntN(3) {
		b.WriteString(pickOf(r, syllables))
	}
	w := b.String()
	return strings.ToUpper(w[:1]) + w[1:]
}

// inventName makes a name for an entity of kind k.
func inventName(r *rand.Rand, k kg.Kind) string {
	join := func(ws ...string) string { return strings.Join(strings.Fields(strings.Join(ws, " ")), " ") }
	switch k {
	case kg.KindPerson:
		return join(pickOf(r, firstNames), inventWord(r))
	case kg.KindProduct:
		name := join(inventWord(r), pickOf(r, productNouns))
		if r.IntN(2) == 0 {
			name += fmt.Sprintf(" %d", 1+r.IntN(20))
		}
		return name
	}
	switch r.IntN(4) {
	case 0:
		return join(inventWord(r), pickOf(r, sectorWords), pickOf(r, legalWords))
	case 1:
		return join(inventWord(r), inventWord(r), pickOf(r, sectorWords), pickOf(r, legalWords))
	case 2:
		return join(inventWord(r), pickOf(r, legalWords))
	default:
		return join(inventWord(r), pickOf(r, sectorWords), pickOf(r, sectorWords), pickOf(r, legalWords))
	}
}

// restyle writes a name as a supplier list might: a typo in its longest word, its legal
// form dropped, in capitals or lower case, its first two words joined.
func restyle(r *rand.Rand, name string) string {
	ws := strings.Fields(name)
	switch r.IntN(6) {
	case 0, 1, 2: // a typo: substitution, deletion, transposition or insertion
		i := 0
		for j, w := range ws {
			if len(w) > len(ws[i]) {
				i = j
			}
		}
		w := ws[i]
		if len(w) < 6 {
			break
		}
		p := 1 + r.IntN(len(w)-3)
		switch r.IntN(4) {
		case 0:
			w = w[:p] + string(rune('a'+r.IntN(26))) + w[p+1:]
		case 1:
			w = w[:p] + w[p+1:]
		case 2:
			w = w[:p] + w[p+1:p+2] + w[p:p+1] + w[p+2:]
		default:
			w = w[:p] + w[p:p+1] + w[p:]
		}
		ws[i] = w
	case 3:
		if len(ws) > 1 {
			if n := match.Normalize(ws[len(ws)-1]); len(n.Tokens) == 1 && n.Tokens[0].Class == match.ClassLegal {
				ws = ws[:len(ws)-1]
			}
		}
	case 4:
		return strings.ToUpper(strings.Join(ws, " "))
	case 5:
		if len(ws) > 2 {
			ws = append([]string{strings.ToLower(ws[0] + ws[1])}, ws[2:]...)
		}
	}
	return strings.Join(ws, " ")
}
