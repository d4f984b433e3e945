package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// report is one backend's results.
type report struct {
	backend      string
	cfg          config
	srv          *server
	catalog      int
	warmup       *loadResult
	load         *loadResult
	probes       []probeRec
	fault        *faultTimes
	verify       verification
	baseline     serverStats
	afterLoad    serverStats
	settled      serverStats
	settleTries  int
	settleTime   time.Duration
	aliveAtEnd   bool
	stopErr      error
	loadAvgStart string
	loadAvgEnd   string
	selfCPU      time.Duration // the load generator's CPU time during the load
	notes        []string
}

// expected reports whether r is an UNAVAILABLE answer that the fault explains: it overlaps
// the time from the stop to the probe's first good read after the restart.
func (rp *report) expected(out outcome, start, end time.Duration) bool {
	ft := rp.fault
	if out != outUnavailable || ft == nil || ft.stopAt == 0 {
		return false
	}
	return end >= ft.stopAt && (ft.recoveredAt == 0 || start <= ft.recoveredAt)
}

// opStats summarise one operation kind.
type opStats struct {
	n, ok, limited, fault, failed int
	okLat, faultLat               []time.Duration
	firstOKAfter                  time.Duration // first good answer begun after recovery, from Neo4j up; -1 when none
}

// analyse sums the load's records per operation and per error name.
func (rp *report) analyse(res *loadResult) (ops [numOps]opStats, errs map[string]int, class map[string]string) {
	errs, class = map[string]int{}, map[string]string{}
	for i := range ops {
		ops[i].firstOKAfter = -1
	}
	for _, r := range res.recs {
		s := &ops[r.op]
		s.n++
		lat := r.end - r.start
		name := r.key
		switch {
		case r.out == outOK:
			s.ok++
			s.okLat = append(s.okLat, lat)
			if ft := rp.fault; ft != nil && ft.recoveredAt > 0 && r.start >= ft.recoveredAt {
				if d := r.end - ft.upAt; s.firstOKAfter < 0 || d < s.firstOKAfter {
					s.firstOKAfter = d
				}
			}
			continue
		case r.out == outLimited:
			s.limited++
			class[name] = "rate limit (not a failure)"
		case rp.expected(r.out, r.start, r.end):
			s.fault++
			s.faultLat = append(s.faultLat, lat)
			class[name] = "while Neo4j was down (not a failure)"
		default:
			s.failed++
			if r.out == outUnavailable && rp.fault != nil {
				name += " (outside the fault)"
			}
			class[name] = "FAILURE"
		}
		errs[name]++
	}
	return ops, errs, class
}

// failures counts the load's and the warm-up's failed requests.
func (rp *report) failures() int {
	n := 0
	for _, res := range []*loadResult{rp.warmup, rp.load} {
		if res == nil {
			continue
		}
		ops, _, _ := rp.analyse(res)
		for _, s := range ops {
			n += s.failed
		}
	}
	return n
}

// heapLimit is the GC goal the heap must come back under: the baseline's, plus the slack,
// plus an allowance for what was written (both stores' server keeps the graph it scores).
func (rp *report) heapLimit() float64 {
	return rp.baseline.nextGC + rp.cfg.heapSlack + rp.cfg.heapPerFact*float64(rp.verify.acked)
}

func (rp *report) goroutinesBack() bool {
	return rp.settled.goroutines <= rp.baseline.goroutines+float64(rp.cfg.goroutineSlack)
}

func (rp *report) heapBack() bool { return rp.settled.nextGC <= rp.heapLimit() }

// check is one pass/fail line.
type check struct {
	name string
	ok   bool
	why  string
}

func (rp *report) checks() []check {
	var cs []check
	add := func(name string, ok bool, format string, args ...any) {
		cs = append(cs, check{name, ok, fmt.Sprintf(format, args...)})
	}
	if rp.load == nil {
		return []check{{"load ran", false, "it did not"}}
	}
	add("no error but rate limits (and UNAVAILABLE while Neo4j was down)", rp.failures() == 0, "%d failed requests", rp.failures())
	noRA := rp.load.noRetryAfter
	if rp.warmup != nil {
		noRA += rp.warmup.noRetryAfter
	}
	add("every 429 carries Retry-After", noRA == 0, "%d without", noRA)
	v := rp.verify
	add("every acknowledged write present", v.ok(), "%d acknowledged, %d found, %d missing, %d with other content, %d verification requests failed",
		v.acked, v.found, len(v.missing), len(v.wrong), v.errors)
	add("goroutines back near the baseline", rp.goroutinesBack(), "%.0f → %.0f (allowed %.0f)",
		rp.baseline.goroutines, rp.settled.goroutines, rp.baseline.goroutines+float64(rp.cfg.goroutineSlack))
	add("heap back near the baseline", rp.heapBack(), "GC goal %s → %s (allowed %s: +%s slack, +%s for %d facts written)",
		mib(rp.baseline.nextGC), mib(rp.settled.nextGC), mib(rp.heapLimit()), mib(rp.cfg.heapSlack),
		mib(rp.cfg.heapPerFact*float64(v.acked)), v.acked)
	add("server up throughout and stopped cleanly on SIGTERM", rp.aliveAtEnd && rp.stopErr == nil, "alive at the end: %v; stop: %v", rp.aliveAtEnd, rp.stopErr)
	if rp.fault != nil {
		ft := rp.fault
		add("Neo4j stopped and restarted", ft.upAt > 0, "stop began %s, Bolt up again %s", ft.stopAt.Round(time.Millisecond), ft.upAt.Round(time.Millisecond))
		down := 0
		ops, _, _ := rp.analyse(rp.load)
		for _, s := range ops {
			down += s.fault
		}
		for _, p := range rp.probes {
			if rp.expected(p.out, p.at, p.at+p.latency) {
				down++
			}
		}
		add("UNAVAILABLE (or 503) while Neo4j was down", down > 0, "%d such answers", down)
		why := fmt.Sprintf("%d good probe reads in a row from %s after Bolt was up", probeStreak, (ft.recoveredAt - ft.upAt).Round(time.Millisecond))
		if ft.confirmedAt == 0 {
			why = fmt.Sprint(ft.err)
		}
		add("reads succeed again within "+rp.cfg.fault.recoverWithin.String()+" of Neo4j being up", ft.err == nil && ft.confirmedAt > 0, "%s", why)
		var missing []string
		for k, s := range ops {
			if rp.cfg.mix[k] > 0 && s.firstOKAfter < 0 {
				missing = append(missing, opKind(k).String())
			}
		}
		detail := "each one had a good answer after Bolt was up"
		if len(missing) > 0 {
			detail = "no good answer after Bolt was up for: " + strings.Join(missing, ", ")
		}
		add("every operation succeeds again after the restart", len(missing) == 0, "%s", detail)
	}
	return cs
}

// passed reports whether every check passed.
func (rp *report) passed() bool {
	for _, c := range rp.checks() {
		if !c.ok {
			return false
		}
	}
	return true
}

// percentile is the nearest-rank q-quantile of d (sorted in place); 0 when empty.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(q*float64(len(d))+0.999999) - 1
	return d[max(0, min(i, len(d)-1))]
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}

// print writes the report.
func (rp *report) print(w io.Writer) {
	fmt.Fprintf(w, "\n=== %s ===\n", rp.backend)
	if rp.load == nil {
		fmt.Fprintln(w, "the load did not run")
		return
	}
	c := rp.cfg
	rl := "off"
	if c.rateLimit > 0 {
		rl = fmt.Sprintf("%d/s per key, burst %d", c.rateLimit, c.rateBurst)
	}
	fmt.Fprintf(w, "%d clients, %s asked, %s ran; %d seed entities listed; server rate limit %s, timeout %s\n",
		c.clients, c.duration, rp.load.elapsed.Round(time.Millisecond), rp.catalog, rl, c.timeout)
	secs := rp.load.elapsed.Seconds()
	fmt.Fprintf(w, "load average (1/5/15 min): %s at the start, %s at the end\n", rp.loadAvgStart, rp.loadAvgEnd)
	ops, errs, class := rp.analyse(rp.load)
	total, good := 0, 0
	for _, s := range ops {
		total += s.n
		good += s.ok
	}
	fmt.Fprintf(w, "CPU during the load: server %.1f s, load generator %.1f s, over %.1f s of wall time on %d CPUs\n",
		rp.afterLoad.cpu-rp.baseline.cpu, rp.selfCPU.Seconds(), secs, runtime.NumCPU())
	fmt.Fprintf(w, "requests: %d answered, %.1f/s (%d good, %.1f/s)\n", total, float64(total)/secs, good, float64(good)/secs)

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tn\tok\t429\tdown\tfailed\tp50 ms\tp99 ms\tmax ms\tdown p50\tdown p99\t")
	for k, s := range ops {
		if s.n == 0 {
			continue
		}
		mx := time.Duration(0)
		if len(s.okLat) > 0 {
			mx = slices.Max(s.okLat)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t\n", opKind(k), s.n, s.ok, s.limited, s.fault, s.failed,
			ms(percentile(s.okLat, .5)), ms(percentile(s.okLat, .99)), ms(mx), ms(percentile(s.faultLat, .5)), ms(percentile(s.faultLat, .99)))
	}
	tw.Flush()
	fmt.Fprintln(w, "(latencies of good answers; \"down\": UNAVAILABLE/503 while Neo4j was down, and their latencies)")

	fmt.Fprintln(w, "answers per second, by when they arrived:")
	for _, l := range rp.timeline(rp.load, 5*time.Second) {
		fmt.Fprintln(w, "  "+l)
	}
	fmt.Fprintln(w, "errors by HTTP status and extensions.code[/reason]:")
	if len(errs) == 0 {
		fmt.Fprintln(w, "  none")
	}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return errs[keys[i]] > errs[keys[j]] || errs[keys[i]] == errs[keys[j]] && keys[i] < keys[j]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "  %7d  %-50s %s\n", errs[k], k, class[k])
		if ex, ok := rp.load.examples[strings.TrimSuffix(k, " (outside the fault)")]; ok {
			fmt.Fprintf(w, "           e.g. %s\n", ex)
		}
	}
	if rp.warmup != nil {
		wops, werrs, _ := rp.analyse(rp.warmup)
		n, bad := 0, 0
		for _, s := range wops {
			n += s.n
			bad += s.failed
		}
		fmt.Fprintf(w, "warm-up: 4 clients, %d requests, %d failed %v\n", n, bad, werrs)
		for k := range werrs {
			fmt.Fprintf(w, "  e.g. %s: %s\n", k, rp.warmup.examples[k])
		}
	}

	v := rp.verify
	writes := 0
	for _, l := range rp.allLedgers() {
		writes += l.acks
	}
	unknown, refused := 0, 0
	for _, l := range rp.allLedgers() {
		unknown += l.unknown
		refused += l.refused
	}
	fmt.Fprintf(w, "writes: %d fact writes acknowledged (%d distinct facts), %d refused with 429, %d failed otherwise\n", writes, v.acked, refused, unknown)
	fmt.Fprintf(w, "read back in %s: %d of %d acknowledged facts found as last written; missing %d, other content %d, failed reads %d\n",
		v.elapsed.Round(time.Millisecond), v.found, v.acked, len(v.missing), len(v.wrong), v.errors)
	if len(v.missing) > 0 {
		fmt.Fprintf(w, "  missing: %s\n", sample(v.missing, 10))
	}
	if len(v.wrong) > 0 {
		fmt.Fprintf(w, "  other content: %s\n", sample(v.wrong, 10))
	}
	fmt.Fprintf(w, "facts only written by failed writes: %d, of which present anyway: %d\n", v.unackedOnly, len(v.unackedFound))
	byWhy := map[string][]string{}
	for _, f := range v.unackedFound {
		in := "during the " + f.phase
		if f.phase == "load" && rp.fault != nil && rp.fault.stopAt > 0 && f.failed.end >= rp.fault.stopAt && (rp.fault.recoveredAt == 0 || f.failed.start <= rp.fault.recoveredAt) {
			in = "while Neo4j was down"
		}
		k := fmt.Sprintf("answered %s, %s", f.failed.key, in)
		byWhy[k] = append(byWhy[k], fmt.Sprintf("%s (sent %s, answered %s)", f.id, f.failed.start.Round(time.Millisecond), f.failed.end.Round(time.Millisecond)))
	}
	for k, ids := range byWhy {
		fmt.Fprintf(w, "  %d %s: %s\n", len(ids), k, sample(ids, 4))
	}

	b, a, s := rp.baseline, rp.afterLoad, rp.settled
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server (/metrics)\tbaseline\tright after load\tsettled\t")
	fmt.Fprintf(tw, "goroutines\t%.0f\t%.0f\t%.0f\t\n", b.goroutines, a.goroutines, s.goroutines)
	fmt.Fprintf(tw, "OS threads\t%.0f\t%.0f\t%.0f\t\n", b.threads, a.threads, s.threads)
	fmt.Fprintf(tw, "heap GC goal\t%s\t%s\t%s\t\n", mib(b.nextGC), mib(a.nextGC), mib(s.nextGC))
	fmt.Fprintf(tw, "heap allocated\t%s\t%s\t%s\t\n", mib(b.heapAlloc), mib(a.heapAlloc), mib(s.heapAlloc))
	fmt.Fprintf(tw, "heap in use\t%s\t%s\t%s\t\n", mib(b.heapInuse), mib(a.heapInuse), mib(s.heapInuse))
	fmt.Fprintf(tw, "resident (RSS)\t%s\t%s\t%s\t\n", mib(b.rss), mib(a.rss), mib(s.rss))
	fmt.Fprintf(tw, "open files\t%.0f\t%.0f\t%.0f\t\n", b.fds, a.fds, s.fds)
	fmt.Fprintf(tw, "query cache\t%.0f KiB\t%.0f KiB\t%.0f KiB\t\n", b.cacheBytes/1024, a.cacheBytes/1024, s.cacheBytes/1024)
	tw.Flush()
	fmt.Fprintf(w, "(settled after %d rounds of light reads, %s)\n", rp.settleTries, rp.settleTime.Round(time.Second))

	fmt.Fprintln(w, "the server's own count of answers during the load (riskgraph_http_responses_total, non-200 or with a code):")
	var sk []string
	for k, n := range a.answers {
		if d := n - b.answers[k]; d > 0 && k != "200" {
			sk = append(sk, fmt.Sprintf("  %7.0f  %s", d, k))
		}
	}
	sort.Strings(sk)
	if len(sk) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, l := range sk {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintf(w, "  %7.0f  200 (all requests: load, watcher and metrics)\n", a.answers["200"]-b.answers["200"])

	if ft := rp.fault; ft != nil {
		rp.printFault(w, ops)
	}
	if rp.srv != nil {
		lv, top, other := rp.srv.logs.summary(12)
		fmt.Fprintf(w, "server log (%s): %s; %d lines not JSON\n", rp.srv.logPath, lv, other)
		for _, t := range top {
			fmt.Fprintln(w, "  "+t)
		}
	}
	for _, n := range rp.notes {
		fmt.Fprintln(w, "note: "+n)
	}
	fmt.Fprintln(w, "checks:")
	for _, c := range rp.checks() {
		mark := "PASS"
		if !c.ok {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %s — %s\n", mark, c.name, c.why)
	}
}

func (rp *report) allLedgers() []*ledger {
	var ls []*ledger
	if rp.warmup != nil {
		ls = append(ls, rp.warmup.ledgers...)
	}
	return append(ls, rp.load.ledgers...)
}

// printFault writes the fault's timeline and what clients saw.
func (rp *report) printFault(w io.Writer, ops [numOps]opStats) {
	ft := rp.fault
	r := func(d time.Duration) string {
		if d == 0 {
			return "-"
		}
		return d.Round(10 * time.Millisecond).String()
	}
	firstDown, readyDown, readyUp := time.Duration(0), time.Duration(0), time.Duration(0)
	var downLat []time.Duration
	downKeys := map[string]int{}
	for _, p := range rp.probes {
		if p.at+p.latency < ft.stopAt {
			continue
		}
		if firstDown == 0 && p.out != outOK {
			firstDown = p.at + p.latency
		}
		if rp.expected(p.out, p.at, p.at+p.latency) {
			downLat = append(downLat, p.latency)
			downKeys[p.key]++
		}
		if readyDown == 0 && p.ready != 200 {
			readyDown = p.at
		}
		if readyDown > 0 && readyUp == 0 && p.ready == 200 {
			readyUp = p.at
		}
	}
	fmt.Fprintf(w, "Neo4j fault (%s), offsets from the start of the load:\n", rp.cfg.fault.mode)
	fmt.Fprintf(w, "  stop began %s, JVM gone %s; restart began %s, Bolt up %s\n", r(ft.stopAt), r(ft.stoppedAt), r(ft.restartAt), r(ft.upAt))
	fmt.Fprintf(w, "  probe: first bad read %s; /readyz 503 from %s to %s; good reads again from %s (%s after Bolt was up; %d in a row by %s)\n",
		r(firstDown), r(readyDown), r(readyUp), r(ft.recoveredAt), r(ft.recoveredAt-ft.upAt), probeStreak, r(ft.confirmedAt))
	fmt.Fprintf(w, "  probe answers while down: %v, latency p50 %s ms, p99 %s ms\n", downKeys, ms(percentile(downLat, .5)), ms(percentile(downLat, .99)))
	fmt.Fprint(w, "  first good answer begun after recovery, per operation, from Bolt up:")
	for k, s := range ops {
		if s.n > 0 {
			fmt.Fprintf(w, " %s %s", opKind(k), r(s.firstOKAfter))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  probe timeline (entity read and /readyz every 200 ms):")
	to := time.Duration(0) // to the end
	if ft.confirmedAt > 0 {
		to = ft.confirmedAt + time.Second
	}
	for _, l := range probeRuns(rp.probes, ft.stopAt-time.Second, to) {
		fmt.Fprintln(w, "    "+l)
	}
	if ft.err != nil {
		fmt.Fprintf(w, "  error: %v\n", ft.err)
	}
}

// probeRuns compresses the probe's looks between from and to into runs of the same read
// outcome and /readyz status.
func probeRuns(ps []probeRec, from, to time.Duration) []string {
	var out []string
	var run []probeRec
	flush := func() {
		if len(run) == 0 {
			return
		}
		var lat []time.Duration
		for _, p := range run {
			lat = append(lat, p.latency)
		}
		what := run[0].key
		if what == "" {
			what = "ok"
		}
		last := run[len(run)-1]
		out = append(out, fmt.Sprintf("%6.2fs–%6.2fs  read %s, /readyz %d  (%d looks, read p50 %s ms, max %s ms)",
			run[0].at.Seconds(), (last.at+last.latency).Seconds(), what, run[0].ready, len(run), ms(percentile(lat, .5)), ms(slices.Max(lat))))
		run = run[:0]
	}
	for _, p := range ps {
		if p.at+p.latency < from || (to > 0 && p.at > to) {
			continue
		}
		if len(run) > 0 && (run[0].key != p.key || run[0].ready != p.ready) {
			flush()
		}
		run = append(run, p)
	}
	flush()
	return out
}

// timeline counts the load's answers per window of width by outcome, as rates.
func (rp *report) timeline(res *loadResult, width time.Duration) []string {
	type row struct{ ok, limited, down, failed int }
	var rows []row
	for _, r := range res.recs {
		i := int(r.end / width)
		for len(rows) <= i {
			rows = append(rows, row{})
		}
		switch {
		case r.out == outOK:
			rows[i].ok++
		case r.out == outLimited:
			rows[i].limited++
		case rp.expected(r.out, r.start, r.end):
			rows[i].down++
		default:
			rows[i].failed++
		}
	}
	var out []string
	sec := width.Seconds()
	for i, r := range rows {
		out = append(out, fmt.Sprintf("%5.0f–%3.0fs  ok %7.1f/s  429 %6.1f/s  down %6.1f/s  failed %6.1f/s",
			float64(i)*sec, float64(i+1)*sec, float64(r.ok)/sec, float64(r.limited)/sec, float64(r.down)/sec, float64(r.failed)/sec))
	}
	return out
}
