package report

import (
	"time"

	"riskgraph/internal/kg"
)

// sampleReport is a small report shaped like the seed's 2017-09-01 → 2017-12-31 run, for the
// renderers' unit tests. The golden tests use the real seed instead.
func sampleReport() Report {
	kaspersky := SourceRef{SignalID: "signal:bod-17-01-ban", EntityID: "directive:bod-17-01", EntityName: "BOD 17-01", Strength: 0.9, Hops: 2}
	cite := []SourceCitation{{SourceID: "source:reuters-ap-2017-09-13", Name: "Reuters/AP report", Published: 20170913, Excerpt: "DHS ordered agencies to remove Kaspersky products."}}
	chain := []ChainLink{
		{From: "directive:bod-17-01", FromName: "BOD 17-01", To: "vendor:kaspersky-lab", ToName: "Kaspersky Lab", Type: "TARGETS", RelationshipID: "directive:bod-17-01-TARGETS->vendor:kaspersky-lab"},
		{From: "vendor:kaspersky-lab", FromName: "Kaspersky Lab", To: "product:kaspersky-anti-virus", ToName: "Kaspersky Anti-Virus", Type: "MAKES", RelationshipID: "vendor:kaspersky-lab-MAKES->product:kaspersky-anti-virus"},
	}
	prev := SnapshotInfo{ID: "snapshot:2017-09-01:1", AsOf: 20170901, KnownAt: kg.StampOf(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)),
		ModelVersion: "riskgraph-default/3", CreatedAt: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), CreatedBy: "nightly", Scores: 3}
	cur := SnapshotInfo{ID: "snapshot:2017-12-31:2", AsOf: 20171231, KnownAt: kg.StampOf(time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)),
		ModelVersion: "riskgraph-default/3", CreatedAt: time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC), CreatedBy: "nightly", Scores: 4}
	return Report{
		SchemaVersion: SchemaVersion, GeneratedAt: cur.CreatedAt, Snapshot: cur, Previous: &prev, Threshold: 0.01,
		Dimensions: []DimensionReport{
			{Dimension: "REGULATORY",
				Scores: []Score{
					{EntityID: "vendor:kaspersky-lab", Name: "Kaspersky Lab", Kind: "Vendor", Rank: 1, Score: 0.9, Intrinsic: 0, Propagated: 0.9,
						TopSource: &SourceRef{SignalID: kaspersky.SignalID, EntityID: kaspersky.EntityID, EntityName: kaspersky.EntityName, Strength: 0.9, Hops: 1}},
					{EntityID: "product:kaspersky-anti-virus", Name: "Kaspersky Anti-Virus", Kind: "Product", Rank: 2, Score: 0.81, Propagated: 0.81, TopSource: &kaspersky},
					{EntityID: "agency:dhs", Name: "Department of Homeland Security", Kind: "Agency", Rank: 3, Score: 0.615, Propagated: 0.615, TopSource: &kaspersky},
				},
				Changes: []Change{
					{EntityID: "product:kaspersky-anti-virus", Name: "Kaspersky Anti-Virus", Kind: "Product", Dimension: "REGULATORY", Change: New,
						Previous: 0, Score: 0.81, Delta: 0.81, Rank: 2, Causes: []Cause{
							{Kind: SignalAdded, FactID: "signal:bod-17-01-ban", Summary: "BOD 17-01 signal began", Date: 20170913,
								Source: kaspersky, Delta: 0.81, Sources: cite, Chain: chain},
						}},
				}},
			{Dimension: "REPUTATIONAL",
				Scores: []Score{
					{EntityID: "vendor:kaspersky-lab", Name: "Kaspersky Lab", Kind: "Vendor", Rank: 1, Score: 0.4, Intrinsic: 0.4, TopSource: &SourceRef{
						SignalID: "signal:kaspersky-press", EntityID: "vendor:kaspersky-lab", EntityName: "Kaspersky Lab", Strength: 0.4}},
				},
				Changes: []Change{
					{EntityID: "retailer:best-buy", Name: "Best Buy", Kind: "Retailer", Dimension: "REPUTATIONAL", Change: Gone,
						Previous: 0.3, Score: 0, Delta: -0.3, PreviousRank: 2, Causes: []Cause{
							{Kind: FactEnded, FactID: "retailer:best-buy-SELLS->product:kaspersky-anti-virus", Summary: "Best Buy SELLS Kaspersky Anti-Virus ended",
								Date: 20170908, Source: SourceRef{SignalID: "signal:kaspersky-press", EntityID: "vendor:kaspersky-lab", EntityName: "Kaspersky Lab", Strength: 0.3, Hops: 2},
								Delta: -0.3, Sources: cite, Chain: []ChainLink{}},
						}},
				}},
		},
		DueWindowDays: 30,
		Obligations: []ObligationItem{
			{ID: "directive:bod-17-01#remove", RuleID: "directive:bod-17-01", RuleName: "BOD 17-01", Title: "Remove Kaspersky products",
				Due: 20171212, DaysUntilDue: -19, Status: Overdue, Pending: []string{"agency:dhs"}, Met: 1},
		},
		Quality: Quality{
			UnsourcedCount: 1, Unsourced: []FactRef{{ID: "vendor:example", Kind: "ENTITY", Summary: "Example vendor"}},
			InferredCount: 1, Inferred: []FactRef{{ID: "agency:dhs-USES->product:kaspersky-anti-virus", Kind: "RELATIONSHIP", Summary: "DHS USES Kaspersky Anti-Virus", Date: 20170101}},
			StaleSourcesCount: 0, StaleSources: []FactRef{}, Disputed: []FactRef{}, StaleAfterDays: 365,
		},
	}
}
