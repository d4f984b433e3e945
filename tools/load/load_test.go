package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseMix(t *testing.T) {
	m, err := parseMix(defaultMix)
	if err != nil {
		t.Fatalf("default mix: %v", err)
	}
	for k, w := range m {
		if w == 0 {
			t.Errorf("default mix leaves out %s", opKind(k))
		}
	}
	for _, bad := range []string{"", "entity", "entity=-1", "entity=x", "nope=3", "entity=0,search=0"} {
		if _, err := parseMix(bad); err == nil {
			t.Errorf("parseMix(%q) = nil error", bad)
		}
	}
	m, err = parseMix("search=1, upsert=3")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var n [numOps]int
	for range 4000 {
		n[m.pick(r)]++
	}
	if n[opSearch]+n[opUpsert] != 4000 || n[opUpsert] < 2800 || n[opUpsert] > 3200 {
		t.Errorf("picks = %v, want only search and upsert, about 1:3", n)
	}
}

func TestClassify(t *testing.T) {
	errs := func(code, reason string) []gqlError {
		e := gqlError{Message: "m"}
		e.Extensions.Code, e.Extensions.Reason = code, reason
		return []gqlError{e}
	}
	tests := []struct {
		name string
		r    result
		out  outcome
		key  string
	}{
		{"ok", result{status: 200}, outOK, ""},
		{"rate limit", result{status: 429, errors: errs("LIMIT_EXCEEDED", "RATE_LIMITED")}, outLimited, "429 LIMIT_EXCEEDED/RATE_LIMITED"},
		{"busy", result{status: 429, errors: errs("LIMIT_EXCEEDED", "EXPENSIVE_BUSY")}, outLimited, "429 LIMIT_EXCEEDED/EXPENSIVE_BUSY"},
		{"other limit", result{status: 400, errors: errs("LIMIT_EXCEEDED", "DEPTH")}, outFailed, "400 LIMIT_EXCEEDED/DEPTH"},
		{"429 without a code", result{status: 429}, outFailed, "429 (no errors)"},
		{"unavailable in a 200", result{status: 200, errors: errs("UNAVAILABLE", "")}, outUnavailable, "200 UNAVAILABLE"},
		{"503", result{status: 503, errors: errs("UNAVAILABLE", "DEADLINE_EXCEEDED")}, outUnavailable, "503 UNAVAILABLE/DEADLINE_EXCEEDED"},
		{"bare 503", result{status: 503}, outUnavailable, "503 (no errors)"},
		{"not found", result{status: 200, errors: errs("NOT_FOUND", "")}, outFailed, "200 NOT_FOUND"},
		{"no code", result{status: 200, errors: errs("", "")}, outFailed, "200 NO_CODE"},
		{"500", result{status: 500}, outFailed, "500 (no errors)"},
		{"refused", result{transport: fmt.Errorf("post: %w", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED})}, outFailed, "transport: connection refused"},
		{"not JSON", result{status: 502, transport: fmt.Errorf("%w: x", errBadJSON)}, outFailed, "transport: answer is not JSON"},
	}
	for _, tc := range tests {
		out, key := classify(tc.r)
		if out != tc.out || key != tc.key {
			t.Errorf("%s: classify = %s %q, want %s %q", tc.name, out, key, tc.out, tc.key)
		}
	}
}

func TestParseProm(t *testing.T) {
	text := `# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 12
go_threads 7
go_memstats_heap_alloc_bytes 1.5e+06
go_memstats_heap_inuse_bytes 2e6
go_memstats_next_gc_bytes 4.194304e+06
process_resident_memory_bytes 3.3e+07
process_open_fds 10
process_cpu_seconds_total 1.25
riskgraph_query_cache_bytes 0
riskgraph_http_responses_total{code="",status="200"} 100
riskgraph_http_responses_total{code="LIMIT_EXCEEDED",status="429"} 7 1700000000000
riskgraph_http_responses_total{code="UNAVAILABLE",status="200"} 2
weird{a="x\"y\\z",b="line\nbreak"} 1
`
	samples, err := parseProm(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	last := samples[len(samples)-1]
	if last.labels["a"] != `x"y\z` || last.labels["b"] != "line\nbreak" {
		t.Errorf("escaped labels = %q", last.labels)
	}
	st, err := statsOf(samples)
	if err != nil {
		t.Fatal(err)
	}
	if st.goroutines != 12 || st.nextGC != 4194304 || st.cpu != 1.25 {
		t.Errorf("stats = %+v", st)
	}
	want := map[string]float64{"200": 100, "429 LIMIT_EXCEEDED": 7, "200 UNAVAILABLE": 2}
	for k, v := range want {
		if st.answers[k] != v {
			t.Errorf("answers[%q] = %v, want %v (all: %v)", k, st.answers[k], v, st.answers)
		}
	}
	if _, err := statsOf(samples[:3]); err == nil || !strings.Contains(err.Error(), "go_memstats_next_gc_bytes") {
		t.Errorf("statsOf without the memory series: %v, want an error naming them", err)
	}
	for _, bad := range []string{"novalue", `m{a="x} 1`, `m{a=x} 1`, "m abc"} {
		if _, err := parsePromLine(bad); err == nil {
			t.Errorf("parsePromLine(%q) = nil error", bad)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{.5, 50 * time.Millisecond}, {.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := percentile(d, tc.q); got != tc.want {
			t.Errorf("percentile(%v) = %s, want %s", tc.q, got, tc.want)
		}
	}
	if percentile(nil, .5) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

func TestLedger(t *testing.T) {
	l := newLedger("load")
	a := pendingFact{id: "organization:a", entity: true, value: "v1", name: "A"}
	l.acknowledge([]pendingFact{a, {id: "organization:a-USES->product:p"}})
	if len(l.own) != 1 || l.own[0] != "organization:a" || l.acks != 2 {
		t.Fatalf("after one write: own %v, acks %d", l.own, l.acks)
	}
	f := l.facts["organization:a"]
	if !f.accepts("v1") || f.accepts("v2") {
		t.Error("an acknowledged value is the only one accepted")
	}
	l.uncertain([]pendingFact{{id: a.id, entity: true, value: "v2"}}, failure{key: "200 UNAVAILABLE"})
	if !f.accepts("v1") || !f.accepts("v2") || f.accepts("v3") {
		t.Error("after a failed update, both the acknowledged and the failed value may be read")
	}
	a.value = "v3"
	l.acknowledge([]pendingFact{a})
	if f.accepts("v1") || f.accepts("v2") || !f.accepts("v3") || len(l.own) != 1 {
		t.Error("a later acknowledged write is the only one accepted")
	}
	l.uncertain([]pendingFact{{id: "organization:b", entity: true, value: "x"}}, failure{})
	if b := l.facts["organization:b"]; b.acked || !b.accepts("x") || len(l.own) != 1 || l.unknown != 2 {
		t.Error("a fact only written by a failed write is not acknowledged nor read by its client")
	}
}

func TestFaultWindow(t *testing.T) {
	rp := &report{fault: &faultTimes{stopAt: 10 * time.Second, recoveredAt: 30 * time.Second}}
	s := time.Second
	tests := []struct {
		out        outcome
		start, end time.Duration
		want       bool
	}{
		{outUnavailable, 1 * s, 5 * s, false},  // before the stop
		{outUnavailable, 5 * s, 15 * s, true},  // in flight at the stop
		{outUnavailable, 20 * s, 21 * s, true}, // while down
		{outUnavailable, 29 * s, 39 * s, true}, // begun before recovery
		{outUnavailable, 31 * s, 32 * s, false},
		{outFailed, 20 * s, 21 * s, false}, // only UNAVAILABLE is expected
	}
	for _, tc := range tests {
		if got := rp.expected(tc.out, tc.start, tc.end); got != tc.want {
			t.Errorf("expected(%s, %s, %s) = %v, want %v", tc.out, tc.start, tc.end, got, tc.want)
		}
	}
	if (&report{}).expected(outUnavailable, 20*s, 21*s) {
		t.Error("without a fault, nothing is expected")
	}
}

func TestDateBetween(t *testing.T) {
	c := &catalog{today: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := rand.New(rand.NewPCG(3, 4))
	for _, dates := range []int{0, 1, 10} {
		c.dates = dates
		seen := map[string]bool{}
		for range 500 {
			d := c.dateBetween(r, "2020-06-01")
			if d < "2020-06-01" || d > "2025-01-01" {
				t.Fatalf("dates %d: %s outside [2020-06-01, today]", dates, d)
			}
			seen[d] = true
		}
		if dates > 0 && len(seen) > dates {
			t.Errorf("dates %d: %d distinct dates", dates, len(seen))
		}
	}
	c.dates = 0
	if d := c.dateBetween(r, "2030-01-01"); d != "2025-01-01" {
		t.Errorf("an entity from after today: %s, want today", d)
	}
}

func TestChecks(t *testing.T) {
	if err := checkRanking([]byte(`{"riskRanking":{"edges":[{"rank":1,"score":0.9},{"rank":2,"score":0.5}]}}`)); err != nil {
		t.Error(err)
	}
	if err := checkRanking([]byte(`{"riskRanking":{"edges":[{"rank":1,"score":0.5},{"rank":2,"score":0.9}]}}`)); err == nil {
		t.Error("an unordered ranking passed")
	}
	if err := checkExposure([]byte(`{"exposure":{"score":1.5}}`)); err == nil {
		t.Error("a score above 1 passed")
	}
	if err := checkEntityID("entity", "vendor:a")([]byte(`{"entity":{"id":"vendor:b"}}`)); err == nil {
		t.Error("another entity passed")
	}
	if err := checkPresent("search")([]byte(`{"search":null}`)); err == nil {
		t.Error("a null field passed")
	}
}

func TestTransportKind(t *testing.T) {
	if k := transportKind(errors.New("x")); k != "other" {
		t.Errorf("transportKind = %q", k)
	}
}
