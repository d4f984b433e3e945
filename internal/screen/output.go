package screen

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"riskgraph/internal/kg"
	"riskgraph/internal/match"
	"riskgraph/internal/service"
)

// CSVColumns are the columns of WriteCSV, in order, for the dimensions given (one exposure
// column per dimension, named exposure_ and the dimension in lower case). They are the
// contract of the CSV output: columns are added at the end, never renamed or reordered.
//
//	line              the line of the list the row starts on
//	input_name        the row's name, country and id as the list gives them
//	input_country
//	input_id
//	verdict           MATCH, AMBIGUOUS or NONE; empty when the row could not be matched
//	match_id          the best entity (also for NONE, when anything scored at all)
//	match_name
//	match_kind
//	match_score       0 to 1, 4 decimals
//	match_reason      the reason that weighs most, "kind: detail"
//	runner_up_id      the second best entity, for AMBIGUOUS only
//	runner_up_name
//	runner_up_score
//	exposure_…        the matched entity's score per dimension, 4 decimals (MATCH only)
//	top_path_dimension  the dimension of the strongest chain into the matched entity
//	top_path_strength   what it carries, 4 decimals
//	top_path          "Entity →TYPE→ Entity ←TYPE← …", from the matched entity to the risk source
//	top_path_ids      the same entities' ids, separated by ";"
//	compliance        with --organization: each rule binding it, "rule-id=STATUS", by id, ";"
//	covered_by        those of the rules that cover the matched entity (MATCH only)
//	error             why the row, or part of it, could not be screened
func CSVColumns(dims []kg.Dimension) []string {
	cols := []string{"line", "input_name", "input_country", "input_id", "verdict", "match_id", "match_name", "match_kind",
		"match_score", "match_reason", "runner_up_id", "runner_up_name", "runner_up_score"}
	for _, d := range dims {
		cols = append(cols, "exposure_"+strings.ToLower(string(d)))
	}
	return append(cols, "top_path_dimension", "top_path_strength", "top_path", "top_path_ids", "compliance", "covered_by", "error")
}

// round4 writes a score with 4 decimals.
func round4(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }

// WriteCSV writes the report as CSV (CSVColumns), one record per row of the list, in order.
// Text that came from the list is written as valid UTF-8.
func WriteCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVColumns(rep.Dimensions))
	for _, r := range rep.Results {
		rec := []string{strconv.Itoa(r.Row.Line), clean(r.Row.Name), clean(r.Row.Country), clean(r.Row.ID), string(r.Verdict)}
		if len(r.Matches) > 0 {
			m := r.Matches[0]
			rec = append(rec, m.ID, m.Name, string(m.Kind), round4(m.Score), m.TopReason())
		} else {
			rec = append(rec, "", "", "", "", "")
		}
		if r.Verdict == match.VerdictAmbiguous && len(r.Matches) > 1 {
			m := r.Matches[1]
			rec = append(rec, m.ID, m.Name, round4(m.Score))
		} else {
			rec = append(rec, "", "", "")
		}
		for i := range rep.Dimensions {
			if i < len(r.Exposure) {
				rec = append(rec, round4(r.Exposure[i].Score))
			} else {
				rec = append(rec, "")
			}
		}
		if p := r.TopPath; p != nil {
			rec = append(rec, string(p.Dimension), round4(p.Strength), p.Text, strings.Join(p.IDs, ";"))
		} else {
			rec = append(rec, "", "", "", "")
		}
		var all, covered []string
		for _, c := range r.Compliance {
			all = append(all, c.RuleID+"="+string(c.Status))
			if c.Covers {
				covered = append(covered, c.RuleID)
			}
		}
		rec = append(rec, strings.Join(all, ";"), strings.Join(covered, ";"), r.Error)
		cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// clean makes text from the list valid UTF-8 for output.
func clean(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// The JSON output, written by WriteJSON. Scores keep full precision; dates are YYYY-MM-DD,
// knownAt RFC 3339 or null. Lists are never null: an absent list is [].
//
//	{
//	  "asOf": "2024-07-01", "knownAt": null, "modelVersion": "…",
//	  "dimensions": ["FOREIGN_INFLUENCE", …],
//	  "organization": null | {"id", "name", "kind", "rules": [{"id", "name", "kind", "inForce",
//	      "status", "obligations": [{"id", "due", "status"}]}]},
//	  "rows": [{
//	    "line": 2,
//	    "input": {"name", "country", "id", "aliases": [], "kind"},
//	    "verdict": "MATCH" | "AMBIGUOUS" | "NONE" | "",
//	    "matches": [{"id", "name", "kind", "score", "matchedName", "reasons": [{"kind", "detail", "weight"}]}],
//	    "exposure": [{"dimension", "score", "intrinsic", "propagated", "topPath": null | path}],
//	    "topPath": null | {"dimension", "signalId", "strength", "text", "ids": [],
//	        "links": [{"relationshipId", "type", "from", "to", "weight", "confidence"}]},
//	    "compliance": [{"ruleId", "status", "covers"}],
//	    "error": ""
//	  }],
//	  "summary": {"rows", "match", "ambiguous", "none", "errors"}
//	}
type (
	jsonReport struct {
		AsOf         kg.Date        `json:"asOf"`
		KnownAt      kg.Stamp       `json:"knownAt"`
		ModelVersion string         `json:"modelVersion"`
		Dimensions   []kg.Dimension `json:"dimensions"`
		Organization *jsonOrg       `json:"organization"`
		Rows         []jsonRow      `json:"rows"`
		Summary      jsonSummary    `json:"summary"`
	}
	jsonOrg struct {
		ID    string     `json:"id"`
		Name  string     `json:"name"`
		Kind  kg.Kind    `json:"kind"`
		Rules []jsonRule `json:"rules"`
	}
	jsonRule struct {
		ID          string                   `json:"id"`
		Name        string                   `json:"name"`
		Kind        kg.Kind                  `json:"kind"`
		InForce     bool                     `json:"inForce"`
		Status      service.ComplianceStatus `json:"status"`
		Obligations []jsonObligation         `json:"obligations"`
	}
	jsonObligation struct {
		ID     string                   `json:"id"`
		Due    kg.Date                  `json:"due"`
		Status service.ComplianceStatus `json:"status"`
	}
	jsonRow struct {
		Line       int              `json:"line"`
		Input      jsonInput        `json:"input"`
		Verdict    match.Verdict    `json:"verdict"`
		Matches    []jsonMatch      `json:"matches"`
		Exposure   []jsonExposure   `json:"exposure"`
		TopPath    *jsonPath        `json:"topPath"`
		Compliance []jsonCompliance `json:"compliance"`
		Error      string           `json:"error"`
	}
	jsonInput struct {
		Name    string   `json:"name"`
		Country string   `json:"country"`
		ID      string   `json:"id"`
		Aliases []string `json:"aliases"`
		Kind    string   `json:"kind"`
	}
	jsonMatch struct {
		ID          string       `json:"id"`
		Name        string       `json:"name"`
		Kind        kg.Kind      `json:"kind"`
		Score       float64      `json:"score"`
		MatchedName string       `json:"matchedName"`
		Reasons     []jsonReason `json:"reasons"`
	}
	jsonReason struct {
		Kind   string  `json:"kind"`
		Detail string  `json:"detail"`
		Weight float64 `json:"weight"`
	}
	jsonExposure struct {
		Dimension  kg.Dimension `json:"dimension"`
		Score      float64      `json:"score"`
		Intrinsic  float64      `json:"intrinsic"`
		Propagated float64      `json:"propagated"`
		TopPath    *jsonPath    `json:"topPath"`
	}
	jsonPath struct {
		Dimension kg.Dimension `json:"dimension"`
		SignalID  string       `json:"signalId"`
		Strength  float64      `json:"strength"`
		Text      string       `json:"text"`
		IDs       []string     `json:"ids"`
		Links     []jsonLink   `json:"links"`
	}
	jsonLink struct {
		RelationshipID string     `json:"relationshipId"`
		Type           kg.RelType `json:"type"`
		From           string     `json:"from"`
		To             string     `json:"to"`
		Weight         float64    `json:"weight"`
		Confidence     float64    `json:"confidence"`
	}
	jsonCompliance struct {
		RuleID string                   `json:"ruleId"`
		Status service.ComplianceStatus `json:"status"`
		Covers bool                     `json:"covers"`
	}
	jsonSummary struct {
		Rows      int `json:"rows"`
		Match     int `json:"match"`
		Ambiguous int `json:"ambiguous"`
		None      int `json:"none"`
		Errors    int `json:"errors"`
	}
)

// WriteJSON writes the report as one JSON document (see the shape above), indented.
func WriteJSON(w io.Writer, rep *Report) error {
	out := jsonReport{AsOf: rep.AsOf, KnownAt: rep.KnownAt, ModelVersion: rep.ModelVersion,
		Dimensions: nonNil(rep.Dimensions), Rows: make([]jsonRow, 0, len(rep.Results)),
		Summary: jsonSummary{Rows: rep.Summary.Rows, Match: rep.Summary.Match, Ambiguous: rep.Summary.Ambiguous,
			None: rep.Summary.None, Errors: rep.Summary.Errors}}
	if o := rep.Organization; o != nil {
		jo := &jsonOrg{ID: o.ID, Name: o.Name, Kind: o.Kind, Rules: []jsonRule{}}
		for _, r := range o.Rules {
			jr := jsonRule{ID: r.ID, Name: r.Name, Kind: r.Kind, InForce: r.InForce, Status: r.Status, Obligations: []jsonObligation{}}
			for _, ob := range r.Obligations {
				jr.Obligations = append(jr.Obligations, jsonObligation(ob))
			}
			jo.Rules = append(jo.Rules, jr)
		}
		out.Organization = jo
	}
	for _, r := range rep.Results {
		jr := jsonRow{Line: r.Row.Line, Verdict: r.Verdict, Error: r.Error, TopPath: jsonPathOf(r.TopPath),
			Input: jsonInput{Name: clean(r.Row.Name), Country: clean(r.Row.Country), ID: clean(r.Row.ID),
				Aliases: []string{}, Kind: clean(r.Row.Kind)},
			Matches: []jsonMatch{}, Exposure: []jsonExposure{}, Compliance: []jsonCompliance{}}
		for _, a := range r.Row.Aliases {
			jr.Input.Aliases = append(jr.Input.Aliases, clean(a))
		}
		for _, m := range r.Matches {
			jm := jsonMatch{ID: m.ID, Name: m.Name, Kind: m.Kind, Score: m.Score, MatchedName: m.MatchedName, Reasons: []jsonReason{}}
			for _, rs := range m.Reasons {
				jm.Reasons = append(jm.Reasons, jsonReason(rs))
			}
			jr.Matches = append(jr.Matches, jm)
		}
		for _, e := range r.Exposure {
			jr.Exposure = append(jr.Exposure, jsonExposure{Dimension: e.Dimension, Score: e.Score, Intrinsic: e.Intrinsic,
				Propagated: e.Propagated, TopPath: jsonPathOf(e.TopPath)})
		}
		for _, c := range r.Compliance {
			jr.Compliance = append(jr.Compliance, jsonCompliance(c))
		}
		out.Rows = append(out.Rows, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

func jsonPathOf(p *Path) *jsonPath {
	if p == nil {
		return nil
	}
	jp := &jsonPath{Dimension: p.Dimension, SignalID: p.SignalID, Strength: p.Strength, Text: p.Text,
		IDs: nonNil(p.IDs), Links: []jsonLink{}}
	for _, l := range p.Links {
		jp.Links = append(jp.Links, jsonLink(l))
	}
	return jp
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
