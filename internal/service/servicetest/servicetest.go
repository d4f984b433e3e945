// Package servicetest holds checks of the service that tests on every backend share.
package servicetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
)

// PassRetiredByWrite checks the life of a warmed whole-graph pass: q (an exposure read of the
// present moment) starts one, reads after it are answered from it with the same answer and
// no neighbourhood read (walks counts those), and after write, which must raise the sanctions
// score of q's first entity to 0.9 or more, the next read walks again and sees the write.
func PassRetiredByWrite(t *testing.T, svc *service.Service, q service.ExposureQuery, walks func() int64, within time.Duration, write func() error) {
	t.Helper()
	ctx := context.Background()
	first, err := svc.Exposures(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(within)
	for {
		n := walks()
		got, err := svc.Exposures(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, first) {
			t.Fatalf("the same read changed with nothing written:\n%+v\n%+v", got, first)
		}
		if walks() == n {
			break // answered from the pass
		}
		if time.Now().After(deadline) {
			t.Fatalf("no read was answered from a warmed pass within %s", within)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
	n := walks()
	after, err := svc.Exposures(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if walks() != n+1 {
		t.Errorf("the read after a write did not read its neighbourhood: the stale pass answered")
	}
	id := q.IDs[0]
	if b, a := score(first[id], kg.DimSanctions), score(after[id], kg.DimSanctions); a <= b || a < 0.9 {
		t.Errorf("%s's sanctions exposure %v → %v after a 0.9 signal", id, b, a)
	}
}

func score(exs []risk.Explanation, d kg.Dimension) float64 {
	for _, ex := range exs {
		if ex.Dimension == d {
			return ex.Score
		}
	}
	return 0
}
