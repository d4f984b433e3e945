package api_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/report"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/seed"
)

// sameRun blanks what differs between two runs of one report: the new snapshot's identity
// and when it was made.
func sameRun(r report.Report) report.Report {
	r.GeneratedAt = time.Time{}
	r.Snapshot.ID, r.Snapshot.KnownAt, r.Snapshot.CreatedAt, r.Snapshot.CreatedBy = "", 0, time.Time{}, ""
	return r
}

// On each backend, the nightly report run through the API of a running server (as
// `riskgraph report --server` does) equals the one run on the service directly, and the
// snapshots it stores are readable over GraphQL.
func TestReportThroughTheAPIEqualsTheDirectOne(t *testing.T) {
	for _, name := range []string{"embedded", "neo4j"} {
		t.Run(name, func(t *testing.T) {
			svc := service.New(backends[name](t), risk.DefaultModel())
			t.Cleanup(func() { svc.Close() })
			if _, err := seed.Apply(t.Context(), svc); err != nil {
				t.Fatalf("seed: %v", err)
			}
			testReportThroughTheAPI(t, newHarnessOn(t, svc, harnessOpts{keyed: true}))
		})
	}
}

func testReportThroughTheAPI(t *testing.T, h *harness) {
	ctx := t.Context()
	client := &report.Client{URL: h.srv.URL + "/graphql", APIKey: h.keys[service.RoleEditor], ScorePage: 7, ChangePage: 5}
	opts := func(d kg.Date) report.Options {
		return report.Options{AsOf: d, Threshold: 0.01, DueWindowDays: 30, StaleAfterDays: 365, Now: time.Now()}
	}
	first, err := report.Build(ctx, client, opts(20170901))
	if err != nil {
		t.Fatalf("first run through the API: %v", err)
	}
	if first.Previous != nil || first.Snapshot.CreatedBy != editorName {
		t.Errorf("first run: previous %v, created by %q", first.Previous, first.Snapshot.CreatedBy)
	}
	remote, err := report.Build(ctx, client, opts(20171231))
	if err != nil {
		t.Fatalf("second run through the API: %v", err)
	}
	if remote.Previous == nil || remote.Previous.ID != first.Snapshot.ID {
		t.Fatalf("the second run compares with %v, want %s", remote.Previous, first.Snapshot.ID)
	}
	changes := 0
	for _, d := range remote.Dimensions {
		changes += len(d.Changes)
		for _, c := range d.Changes {
			if len(c.Causes) == 0 {
				t.Errorf("%s %s changed with no cause", d.Dimension, c.EntityID)
			}
		}
	}
	if changes == 0 || len(remote.Obligations) == 0 || remote.Quality.InferredCount == 0 {
		t.Errorf("remote report: %d changes, %d obligations, %d inferred", changes, len(remote.Obligations), remote.Quality.InferredCount)
	}
	direct, err := report.Build(ctx, h.svc, opts(20171231))
	if err != nil {
		t.Fatalf("direct run: %v", err)
	}
	if a, b := sameRun(remote), sameRun(direct); !reflect.DeepEqual(a, b) {
		t.Errorf("the report through the API differs from the direct one")
		for i := range a.Dimensions {
			if i < len(b.Dimensions) && !reflect.DeepEqual(a.Dimensions[i], b.Dimensions[i]) {
				t.Errorf("dimension %s differs", a.Dimensions[i].Dimension)
			}
		}
	}

	// A reader may read snapshots but not record one.
	reader := &report.Client{URL: client.URL, APIKey: h.keys[service.RoleReader]}
	if _, err := report.Build(ctx, reader, opts(20171231)); err == nil || !strings.Contains(err.Error(), "FORBIDDEN") {
		t.Errorf("a reader's run: %v, want FORBIDDEN", err)
	}
	a := h.query(t, service.RoleReader, `{ riskSnapshots(first: 10) { nodes { id asOf createdBy scores } pageInfo { hasNextPage } }
		riskReport(asOf: "2017-12-31") { snapshot { id } previous { asOf } scores(dimension: REGULATORY, first: 2) { nodes { rank name } } } }`, nil).mustOK(t)
	var got struct {
		RiskSnapshots struct {
			Nodes []struct {
				ID        string `json:"id"`
				CreatedBy string `json:"createdBy"`
			} `json:"nodes"`
		} `json:"riskSnapshots"`
		RiskReport struct {
			Snapshot struct{ ID string }   `json:"snapshot"`
			Previous struct{ AsOf string } `json:"previous"`
			Scores   struct {
				Nodes []struct{ Rank int } `json:"nodes"`
			} `json:"scores"`
		} `json:"riskReport"`
	}
	if err := json.Unmarshal(a.gql.Data, &got); err != nil {
		t.Fatal(err)
	}
	if n := len(got.RiskSnapshots.Nodes); n != 3 || got.RiskSnapshots.Nodes[0].ID != direct.Snapshot.ID {
		t.Errorf("riskSnapshots: %+v", got.RiskSnapshots)
	}
	if got.RiskReport.Snapshot.ID != direct.Snapshot.ID || got.RiskReport.Previous.AsOf != "2017-09-01" || len(got.RiskReport.Scores.Nodes) != 2 {
		t.Errorf("riskReport: %+v", got.RiskReport)
	}
	h.query(t, service.RoleReader, `{ riskChanges(from: "2017-09-01", to: "2017-12-31", dimension: REGULATORY, minDelta: 2) { totalCount } }`, nil).
		refused(t, 200, "INVALID_INPUT", "")
	h.query(t, service.RoleReader, `{ riskReport(asOf: "1999-01-01") { snapshot { id } } }`, nil).refused(t, 200, "NOT_FOUND", "")
}
