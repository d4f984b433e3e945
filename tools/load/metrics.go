package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// promSample is one line of the Prometheus text format.
type promSample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseProm reads the Prometheus text exposition format (comments and blank lines
// skipped; a trailing timestamp ignored).
func parseProm(r io.Reader) ([]promSample, error) {
	var out []promSample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parsePromLine(line)
		if err != nil {
			return nil, fmt.Errorf("metrics line %d: %w", n, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	return out, nil
}

func parsePromLine(line string) (promSample, error) {
	s := promSample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ \t")
	if i <= 0 {
		return s, fmt.Errorf("no value in %q", line)
	}
	s.name, line = line[:i], line[i:]
	if line[0] == '{' {
		line = line[1:]
		for {
			line = strings.TrimLeft(line, " \t,")
			if line == "" {
				return s, fmt.Errorf("unterminated labels in %s", s.name)
			}
			if line[0] == '}' {
				line = line[1:]
				break
			}
			eq := strings.IndexByte(line, '=')
			if eq <= 0 || len(line) < eq+2 || line[eq+1] != '"' {
				return s, fmt.Errorf("bad label in %s", s.name)
			}
			name := strings.TrimSpace(line[:eq])
			line = line[eq+2:]
			var val strings.Builder
			closed := false
			for j := 0; j < len(line); j++ {
				c := line[j]
				if c == '\\' && j+1 < len(line) {
					j++
					switch line[j] {
					case 'n':
						val.WriteByte('\n')
					default:
						val.WriteByte(line[j])
					}
					continue
				}
				if c == '"' {
					line, closed = line[j+1:], true
					break
				}
				val.WriteByte(c)
			}
			if !closed {
				return s, fmt.Errorf("unterminated label value in %s", s.name)
			}
			s.labels[name] = val.String()
		}
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return s, fmt.Errorf("no value for %s", s.name)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, fmt.Errorf("value of %s: %w", s.name, err)
	}
	s.value = v
	return s, nil
}

// serverStats are the server's own numbers, from /metrics, that the checks compare.
type serverStats struct {
	goroutines float64            // go_goroutines
	threads    float64            // go_threads
	heapAlloc  float64            // go_memstats_heap_alloc_bytes: live and not yet collected
	heapInuse  float64            // go_memstats_heap_inuse_bytes
	nextGC     float64            // go_memstats_next_gc_bytes: the GC goal, about twice the heap live at the last GC
	rss        float64            // process_resident_memory_bytes
	fds        float64            // process_open_fds
	cacheBytes float64            // riskgraph_query_cache_bytes
	cpu        float64            // process_cpu_seconds_total
	answers    map[string]float64 // riskgraph_http_responses_total by "status code"
}

// fetchStats reads and parses the server's /metrics.
func fetchStats(ctx context.Context, hc *http.Client, base, key string) (serverStats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return serverStats{}, fmt.Errorf("metrics: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := hc.Do(req)
	if err != nil {
		return serverStats{}, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return serverStats{}, fmt.Errorf("metrics: HTTP %d", resp.StatusCode)
	}
	samples, err := parseProm(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return serverStats{}, err
	}
	return statsOf(samples)
}

// statsOf picks the series the checks need; a missing one is an error, not a zero.
func statsOf(samples []promSample) (serverStats, error) {
	st := serverStats{answers: map[string]float64{}}
	want := map[string]*float64{
		"go_goroutines":                 &st.goroutines,
		"go_threads":                    &st.threads,
		"go_memstats_heap_alloc_bytes":  &st.heapAlloc,
		"go_memstats_heap_inuse_bytes":  &st.heapInuse,
		"go_memstats_next_gc_bytes":     &st.nextGC,
		"process_resident_memory_bytes": &st.rss,
		"process_open_fds":              &st.fds,
		"riskgraph_query_cache_bytes":   &st.cacheBytes,
		"process_cpu_seconds_total":     &st.cpu,
	}
	seen := map[string]bool{}
	for _, s := range samples {
		if p, ok := want[s.name]; ok {
			*p, seen[s.name] = s.value, true
		}
		if s.name == "riskgraph_http_responses_total" {
			k := s.labels["status"]
			if c := s.labels["code"]; c != "" {
				k += " " + c
			}
			st.answers[k] += s.value
		}
	}
	var missing []string
	for name := range want {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return st, fmt.Errorf("metrics: the server does not export %s", strings.Join(missing, ", "))
	}
	return st, nil
}

// mib formats bytes in MiB.
func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
