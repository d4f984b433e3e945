package report

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"riskgraph/internal/kg"
)

// Client is a Source over a running riskgraph server's GraphQL API: the snapshot is
// recorded by the server in its own store, and scores and changes come back in pages, so no
// response holds the whole graph.
type Client struct {
	URL    string       // the server's GraphQL endpoint, e.g. http://127.0.0.1:8080/graphql
	APIKey string       // sent as a bearer token; "" sends none (a local server)
	HTTP   *http.Client // nil means one with a 10-minute timeout per request
	// ScorePage and ChangePage are the page sizes asked for; 0 means 500 and 50, which keep
	// each request under the default complexity limit.
	ScorePage, ChangePage int
}

var _ Source = (*Client)(nil)

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// do posts one GraphQL request and decodes its data into out.
func (c *Client) do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("request to %s: %w", c.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("reach %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("read the answer of %s: %w", c.URL, err)
	}
	var res struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("%s answered %s, not GraphQL: %.200s", c.URL, resp.Status, raw)
	}
	if len(res.Errors) > 0 {
		e := res.Errors[0]
		code, _ := e.Extensions["code"].(string)
		return fmt.Errorf("%s answered %s: %s (%s)", c.URL, resp.Status, e.Message, cmp.Or(code, "no code"))
	}
	if err := json.Unmarshal(res.Data, out); err != nil {
		return fmt.Errorf("decode the answer of %s: %w", c.URL, err)
	}
	return nil
}

// Selections shared by the queries, naming every field the report model holds.
const (
	snapshotFields = `id asOf knownAt modelVersion createdAt createdBy scores`
	sourceFields   = `signalId entityId entityName strength hops`
	changeFields   = `entityId name kind dimension change previous score delta rank previousRank
		causes { kind factId summary date delta source { ` + sourceFields + ` }
			sources { sourceId name published excerpt disputes }
			chain { from fromName to toName type relationshipId } }`
)

// RecordSnapshot asks the server to record a snapshot (the key needs the editor role).
func (c *Client) RecordSnapshot(ctx context.Context, asOf kg.Date, keep int) (SnapshotInfo, *SnapshotInfo, error) {
	var out struct {
		R struct {
			Snapshot SnapshotInfo  `json:"snapshot"`
			Previous *SnapshotInfo `json:"previous"`
		} `json:"recordRiskSnapshot"`
	}
	vars := map[string]any{"keep": keep}
	if asOf != 0 {
		vars["asOf"] = asOf.String()
	}
	err := c.do(ctx, `mutation($asOf: Date, $keep: Int) { recordRiskSnapshot(asOf: $asOf, keep: $keep) {
		snapshot { `+snapshotFields+` } previous { `+snapshotFields+` } } }`, vars, &out)
	return out.R.Snapshot, out.R.Previous, err
}

// SnapshotScores pages through the snapshot's scores.
func (c *Client) SnapshotScores(ctx context.Context, id string, fn func(kg.Dimension, []Score) error) error {
	first := c.ScorePage
	if first == 0 {
		first = 500
	}
	var after *string
	for {
		var out struct {
			R struct {
				Scores struct {
					Nodes []struct {
						Score
						Dimension kg.Dimension `json:"dimension"`
					} `json:"nodes"`
					PageInfo struct {
						HasNextPage bool    `json:"hasNextPage"`
						EndCursor   *string `json:"endCursor"`
					} `json:"pageInfo"`
				} `json:"scores"`
			} `json:"riskReport"`
		}
		err := c.do(ctx, `query($id: ID, $first: Int, $after: String) { riskReport(snapshot: $id) {
			scores(first: $first, after: $after) { nodes { dimension entityId name kind rank score intrinsic propagated
				topSource { `+sourceFields+` } } pageInfo { hasNextPage endCursor } } } }`,
			map[string]any{"id": id, "first": first, "after": after}, &out)
		if err != nil {
			return err
		}
		nodes := out.R.Scores.Nodes
		for len(nodes) > 0 {
			d := nodes[0].Dimension
			n := 1
			for n < len(nodes) && nodes[n].Dimension == d {
				n++
			}
			batch := make([]Score, n)
			for i := range n {
				batch[i] = nodes[i].Score
			}
			if err := fn(d, batch); err != nil {
				return err
			}
			nodes = nodes[n:]
		}
		if !out.R.Scores.PageInfo.HasNextPage {
			return nil
		}
		after = out.R.Scores.PageInfo.EndCursor
	}
}

// SnapshotChanges pages through the changes between two snapshots; the server finds the
// causes page by page. They come biggest move first over every dimension and are handed on
// per dimension in model order once all have come.
func (c *Client) SnapshotChanges(ctx context.Context, from, to string, minDelta float64, fn func(kg.Dimension, []Change) error) error {
	first := c.ChangePage
	if first == 0 {
		first = 50
	}
	byDim := map[kg.Dimension][]Change{}
	var after *string
	for {
		var out struct {
			R struct {
				Nodes    []Change `json:"nodes"`
				PageInfo struct {
					HasNextPage bool    `json:"hasNextPage"`
					EndCursor   *string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"riskChanges"`
		}
		err := c.do(ctx, `query($from: ID, $to: ID, $min: Float, $first: Int, $after: String) {
			riskChanges(fromSnapshot: $from, toSnapshot: $to, minDelta: $min, first: $first, after: $after) {
				nodes { `+changeFields+` } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"from": from, "to": to, "min": minDelta, "first": first, "after": after}, &out)
		if err != nil {
			return err
		}
		for _, ch := range out.R.Nodes {
			byDim[ch.Dimension] = append(byDim[ch.Dimension], ch)
		}
		if !out.R.PageInfo.HasNextPage {
			break
		}
		after = out.R.PageInfo.EndCursor
	}
	for _, d := range kg.Dimensions {
		if cs := byDim[d]; len(cs) > 0 {
			if err := fn(d, cs); err != nil {
				return err
			}
		}
	}
	return nil
}

// DueObligations asks the snapshot's report for its obligations.
func (c *Client) DueObligations(ctx context.Context, snap SnapshotInfo, windowDays int) ([]ObligationItem, error) {
	var out struct {
		R struct {
			Obligations []ObligationItem `json:"obligations"`
		} `json:"riskReport"`
	}
	err := c.do(ctx, `query($id: ID, $w: Int) { riskReport(snapshot: $id) { obligations(windowDays: $w) {
		id ruleId ruleName title due daysUntilDue status pending met } } }`, map[string]any{"id": snap.ID, "w": windowDays}, &out)
	return out.R.Obligations, err
}

// DataQuality asks the snapshot's report for its data quality.
func (c *Client) DataQuality(ctx context.Context, snap SnapshotInfo, staleAfterDays int) (Quality, error) {
	var out struct {
		R struct {
			Quality Quality `json:"dataQuality"`
		} `json:"riskReport"`
	}
	refs := `{ id kind summary date }`
	err := c.do(ctx, `query($id: ID, $s: Int) { riskReport(snapshot: $id) { dataQuality(staleAfterDays: $s) {
		unsourcedCount unsourced `+refs+` inferredCount inferred `+refs+` disputedCount disputed `+refs+`
		staleSourcesCount staleSources `+refs+` staleAfterDays } } }`, map[string]any{"id": snap.ID, "s": staleAfterDays}, &out)
	return out.R.Quality, err
}

// GraphQLURL turns a server address (http://host:port, with or without /graphql) into its
// GraphQL endpoint.
func GraphQLURL(server string) string {
	server = strings.TrimRight(server, "/")
	if strings.HasSuffix(server, "/graphql") {
		return server
	}
	return server + "/graphql"
}
