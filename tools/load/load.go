package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// rec is one request of the load.
type rec struct {
	op         opKind
	out        outcome
	start, end time.Duration // offsets from the start of the load
	key        string        // the error table's name for a bad answer; "" when ok
}

// loadParams configure one run of the load.
type loadParams struct {
	client    *gqlClient
	clients   int
	duration  time.Duration
	mix       mix
	seed      uint64
	run       string
	cat       *catalog
	readerKey string
	editorKey string
	backoff   time.Duration // pause after UNAVAILABLE, as a sensible client would
	drain     time.Duration // how long answers in flight at the end may take
	phase     string        // "warm-up" or "load", for the ledgers
	// until, when set, is closed when the load may stop (after duration): the fault
	// controller holds the load open until service is confirmed back.
	until <-chan struct{}
	// onStart, when set, runs when the load starts, with its start time.
	onStart func(t0 time.Time)
}

// loadResult is what one run of the load did.
type loadResult struct {
	recs         []rec
	ledgers      []*ledger
	elapsed      time.Duration     // from the first request to the last answer
	noRetryAfter int               // 429 answers without a Retry-After header
	unfinished   int               // requests cut off at the end of the drain
	examples     map[string]string // the first message seen for each error name
	details      []detail          // bad answers other than 429, in full
}

// workerResult is one worker's share of a loadResult.
type workerResult struct {
	recs         []rec
	noRetryAfter int
	examples     map[string]string
	details      []detail
}

// detail is one bad answer in full, for the failures file.
type detail struct {
	Start   string         `json:"start"` // offset from the start of the load
	End     string         `json:"end"`
	Op      string         `json:"op"`
	Key     string         `json:"key"`
	Message string         `json:"message"`
	Vars    map[string]any `json:"variables"`
}

// maxDetails bounds the details one worker keeps.
const maxDetails = 200

// runLoad runs p.clients workers, each sending one request at a time, for p.duration (or
// until p.until is closed, if later), then waits up to p.drain for the answers in flight.
func runLoad(ctx context.Context, p loadParams) *loadResult {
	stop := make(chan struct{})
	reqCtx, cancelReqs := context.WithCancel(ctx)
	defer cancelReqs()
	res := &loadResult{ledgers: make([]*ledger, p.clients), examples: map[string]string{}}
	parts := make([]workerResult, p.clients)
	var wg sync.WaitGroup
	t0 := time.Now()
	if p.onStart != nil {
		p.onStart(t0)
	}
	for i := range p.clients {
		res.ledgers[i] = newLedger(p.phase)
		w := &worker{id: i, run: p.run, rng: rand.New(rand.NewPCG(p.seed, uint64(i))), cat: p.cat,
			readerKey: p.readerKey, editorKey: p.editorKey, led: res.ledgers[i]}
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i] = w.loop(reqCtx, p, t0, stop)
		}()
	}
	select {
	case <-time.After(p.duration):
	case <-ctx.Done():
	}
	if p.until != nil {
		select {
		case <-p.until:
		case <-ctx.Done():
		}
	}
	close(stop)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(p.drain):
		cancelReqs()
		<-done
	}
	last := time.Duration(0)
	for _, part := range parts {
		res.recs = append(res.recs, part.recs...)
		res.noRetryAfter += part.noRetryAfter
		res.details = append(res.details, part.details...)
		for k, m := range part.examples {
			if _, ok := res.examples[k]; !ok {
				res.examples[k] = m
			}
		}
		for _, r := range part.recs {
			last = max(last, r.end)
			if r.key == "transport: canceled" {
				res.unfinished++
			}
		}
	}
	res.elapsed = last
	return res
}

// loop is one client: request, classify, check, and wait as the answer asks (Retry-After
// on 429, a short back-off on UNAVAILABLE), until stop is closed.
func (w *worker) loop(ctx context.Context, p loadParams, t0 time.Time, stop <-chan struct{}) workerResult {
	out := workerResult{examples: map[string]string{}}
	for {
		select {
		case <-stop:
			return out
		default:
		}
		c := w.next(p.mix)
		start := time.Since(t0)
		res := p.client.do(ctx, c.key, c.query, c.vars)
		end := time.Since(t0)
		o, key := classify(res)
		if o == outOK && c.check != nil {
			if err := c.check(res.data); err != nil {
				o, key = outFailed, "200 BAD_ANSWER: "+err.Error()
			}
		}
		if c.done != nil {
			c.done(o, key, start, end)
		}
		out.recs = append(out.recs, rec{op: c.op, out: o, start: start, end: end, key: key})
		if _, seen := out.examples[key]; key != "" && !seen {
			out.examples[key] = c.op.String() + ": " + example(res)
		}
		if o == outFailed || o == outUnavailable {
			if len(out.details) < maxDetails {
				out.details = append(out.details, detail{Start: start.String(), End: end.String(), Op: c.op.String(), Key: key,
					Message: example(res), Vars: c.vars})
			}
		}
		var wait time.Duration
		switch o {
		case outLimited:
			wait = res.retryAfter
			if wait < 0 {
				out.noRetryAfter++
				wait = time.Second
			}
		case outUnavailable:
			wait = p.backoff
		}
		if wait > 0 {
			select {
			case <-stop:
				return out
			case <-time.After(wait):
			}
		}
	}
}

// probeRec is one look of the watcher at the server.
type probeRec struct {
	at      time.Duration
	latency time.Duration
	out     outcome
	key     string
	ready   int // /readyz status; 0 when no answer
}

// watch reads one entity and asks /readyz every interval until stop closes: the timeline
// of the fault comes from it.
func watch(ctx context.Context, c *gqlClient, base, key, id string, t0 time.Time, interval time.Duration, stop <-chan struct{}) []probeRec {
	hc := &http.Client{Transport: newTransport(2), Timeout: 5 * time.Second}
	defer hc.CloseIdleConnections()
	var out []probeRec
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		began := time.Now()
		res := c.do(ctx, key, qEntity, map[string]any{"id": id})
		o, k := classify(res)
		pr := probeRec{at: began.Sub(t0), latency: time.Since(began), out: o, key: k}
		pr.ready = getStatus(ctx, hc, base+"/readyz", "")
		out = append(out, pr)
		select {
		case <-stop:
			return out
		case <-ctx.Done():
			return out
		case <-tick.C:
		}
	}
}

// example is what an answer said, for the error table: the first error's message and path,
// or the transport error.
func example(r result) string {
	switch {
	case r.transport != nil:
		return cut(r.transport.Error(), 200)
	case len(r.errors) > 0:
		return cut(fmt.Sprintf("%s (path %v)", r.errors[0].Message, r.errors[0].Path), 300)
	}
	return "(no error in the answer)"
}
