package report

import (
	"time"

	"riskgraph/internal/kg"
)

// SchemaVersion is the version of the report's JSON layout, described by
// docs/report.schema.json. It changes whenever a field changes meaning or goes away.
const SchemaVersion = 2

// Report is one nightly run: every non-zero score on a date, per dimension, what changed
// since the previous snapshot and why, the obligations falling due, and the state of the
// data. Every format (JSON, CSV, Markdown, HTML) is rendered from it.
type Report struct {
	SchemaVersion int       `json:"schemaVersion"`
	GeneratedAt   time.Time `json:"generatedAt"`
	// Snapshot is the stored snapshot this report shows; Previous the one it is compared
	// with (nil on a first run).
	Snapshot   SnapshotInfo      `json:"snapshot"`
	Previous   *SnapshotInfo     `json:"previous"`
	Threshold  float64           `json:"threshold"` // smallest score move listed as a change
	Dimensions []DimensionReport `json:"dimensions"`
	// Obligations are those due within DueWindowDays after the date, and those overdue,
	// soonest due first.
	Obligations   []ObligationItem `json:"obligations"`
	DueWindowDays int              `json:"dueWindowDays"`
	Quality       Quality          `json:"dataQuality"`
}

// SnapshotInfo describes one stored snapshot of scores.
type SnapshotInfo struct {
	ID           string    `json:"id"`
	AsOf         kg.Date   `json:"asOf"`
	KnownAt      kg.Stamp  `json:"knownAt"` // the recorded time its facts were read at
	ModelVersion string    `json:"modelVersion"`
	CreatedAt    time.Time `json:"createdAt"`
	CreatedBy    string    `json:"createdBy"`
	Scores       int       `json:"scores"` // non-zero (entity, dimension) scores it holds
}

// DimensionReport is one risk dimension of a report.
type DimensionReport struct {
	Dimension kg.Dimension `json:"dimension"`
	// Scores are every non-zero score in the dimension, highest first (rank order).
	Scores []Score `json:"scores"`
	// Changes are the scores that moved by at least the threshold, biggest move first.
	Changes []Change `json:"changes"`
}

// Score is one entity's score in one dimension.
type Score struct {
	EntityID   string  `json:"entityId"`
	Name       string  `json:"name"`
	Kind       kg.Kind `json:"kind"`
	Rank       int     `json:"rank"` // 1-based, within the dimension
	Score      float64 `json:"score"`
	Intrinsic  float64 `json:"intrinsic"`  // from the entity's own signals
	Propagated float64 `json:"propagated"` // brought in through relationships
	// TopSource is the strongest risk source; nil when there is none.
	TopSource *SourceRef `json:"topSource"`
	// Previous is the score in the previous snapshot (0 when it was not scored then); nil
	// when there is no previous snapshot.
	Previous *float64 `json:"previous"`
}

// SourceRef names a risk source: a signal and the entity that carries it.
type SourceRef struct {
	SignalID   string  `json:"signalId"`
	EntityID   string  `json:"entityId"`
	EntityName string  `json:"entityName"`
	Strength   float64 `json:"strength"` // what it brings to the score before combining
	Hops       int     `json:"hops"`     // chain length; 0 for the entity's own signal
}

// ChangeKind says how a score changed between two snapshots.
type ChangeKind string

// Kinds of change.
const (
	New  ChangeKind = "NEW"  // scored now, not before
	Gone ChangeKind = "GONE" // scored before, not now
	Up   ChangeKind = "UP"
	Down ChangeKind = "DOWN"
)

// Change is one score that moved by at least the threshold.
type Change struct {
	EntityID     string       `json:"entityId"`
	Name         string       `json:"name"`
	Kind         kg.Kind      `json:"kind"`
	Dimension    kg.Dimension `json:"dimension"`
	Change       ChangeKind   `json:"change"`
	Previous     float64      `json:"previous"` // 0 when NEW
	Score        float64      `json:"score"`    // 0 when GONE
	Delta        float64      `json:"delta"`    // Score − Previous
	Rank         int          `json:"rank"`     // 0 when GONE
	PreviousRank int          `json:"previousRank"`
	// Causes are the facts that moved the score, biggest effect first.
	Causes []Cause `json:"causes"`
}

// CauseKind says what moved a score.
type CauseKind string

// Kinds of cause.
const (
	FactBegan     CauseKind = "FACT_BEGAN"     // a relationship on a chain became valid
	FactEnded     CauseKind = "FACT_ENDED"     // a relationship on a chain stopped being valid
	SignalAdded   CauseKind = "SIGNAL_ADDED"   // a risk signal became valid
	SignalEnded   CauseKind = "SIGNAL_ENDED"   // a risk signal stopped being valid
	FactRecorded  CauseKind = "FACT_RECORDED"  // a fact or correction recorded between the two snapshots
	ModelChanged  CauseKind = "MODEL_CHANGED"  // the snapshots were scored by different model versions
	SourceShifted CauseKind = "SOURCE_SHIFTED" // the source's strength moved with no fact of its own changing (e.g. a stronger chain elsewhere)
)

// Cause is one fact that moved a score, with the risk source it moved and by how much.
type Cause struct {
	Kind CauseKind `json:"kind"`
	// FactID is the relationship, signal or entity that changed ("" for MODEL_CHANGED).
	FactID string `json:"factId"`
	// Summary says it in words, e.g. "Best Buy SELLS Kaspersky Anti-Virus ended".
	Summary string  `json:"summary"`
	Date    kg.Date `json:"date"` // when it began or ended (valid time); 0 when not a date
	// Source is the risk source whose contribution moved; Delta how much the score moved
	// with it (its share now minus its share before).
	Source  SourceRef        `json:"source"`
	Delta   float64          `json:"delta"`
	Sources []SourceCitation `json:"sources"` // what the changed fact cites
	// Chain is the chain from the source to the entity, as it is now (or was, for an end).
	Chain []ChainLink `json:"chain"`
}

// SourceCitation is a Source entity a fact cites.
type SourceCitation struct {
	SourceID  string  `json:"sourceId"`
	Name      string  `json:"name"`
	Published kg.Date `json:"published"` // 0 when the source gives no date
	Excerpt   string  `json:"excerpt"`
	Disputes  bool    `json:"disputes"`
}

// ChainLink is one relationship of a chain, in the direction risk crosses it.
type ChainLink struct {
	From           string     `json:"from"`
	FromName       string     `json:"fromName"`
	To             string     `json:"to"`
	ToName         string     `json:"toName"`
	Type           kg.RelType `json:"type"`
	RelationshipID string     `json:"relationshipId"`
}

// ObligationStatus is where an obligation stands in a report.
type ObligationStatus string

// Obligation statuses in a report.
const (
	DueSoon ObligationStatus = "DUE_SOON" // due within the report's window
	Overdue ObligationStatus = "OVERDUE"  // past due, and some bound party has not met it
)

// ObligationItem is one obligation of a directive or law that falls due soon or is overdue.
type ObligationItem struct {
	ID           string           `json:"id"` // rule#obligation
	RuleID       string           `json:"ruleId"`
	RuleName     string           `json:"ruleName"`
	Title        string           `json:"title"`
	Due          kg.Date          `json:"due"`
	DaysUntilDue int              `json:"daysUntilDue"` // negative once past due
	Status       ObligationStatus `json:"status"`
	// Pending are the bound parties that have not met it (ids, sorted); Met counts the others.
	Pending []string `json:"pending"`
	Met     int      `json:"met"`
}

// Quality is the state of the data behind a report: facts to look at before trusting it.
// Each list holds at most QualityListMax items; the counts are complete.
type Quality struct {
	UnsourcedCount    int       `json:"unsourcedCount"`
	Unsourced         []FactRef `json:"unsourced"` // facts that cite no source
	InferredCount     int       `json:"inferredCount"`
	Inferred          []FactRef `json:"inferred"` // relationships no source states outright
	DisputedCount     int       `json:"disputedCount"`
	Disputed          []FactRef `json:"disputed"` // facts a source disputes
	StaleSourcesCount int       `json:"staleSourcesCount"`
	// StaleSources are sources published more than StaleAfterDays before the date.
	StaleSources   []FactRef `json:"staleSources"`
	StaleAfterDays int       `json:"staleAfterDays"`
}

// QualityListMax is the most items a Quality list holds.
const QualityListMax = 50

// FactRef names one fact in the data-quality section.
type FactRef struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"` // ENTITY, RELATIONSHIP or SIGNAL
	Summary string `json:"summary"`
	// Date is the source's publication date (stale sources) or the fact's start; 0 if unknown.
	Date kg.Date `json:"date"`
}
