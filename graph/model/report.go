package model

import (
	"riskgraph/internal/kg"
	"riskgraph/internal/report"
)

// RiskReport is the report of one stored snapshot; its scores, obligations and data quality
// are resolved on demand.
type RiskReport struct {
	Snapshot report.SnapshotInfo
	Previous *report.SnapshotInfo
}

// SnapshotScore is one stored score with its dimension.
type SnapshotScore struct {
	EntityID   string
	Name       string
	Kind       kg.Kind
	Dimension  kg.Dimension
	Rank       int
	Score      float64
	Intrinsic  float64
	Propagated float64
	TopSource  *report.SourceRef
}
