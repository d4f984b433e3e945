package synth

import (
	"reflect"
	"testing"

	"riskgraph/internal/kg"
)

func TestGenerateValidAndDeterministic(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"tiny", Config{Entities: 12, Relationships: 25, Seed: 1, SignalRate: 0.5}},
		{"small", Config{Entities: 2000, Relationships: 9000, Seed: 42, SignalRate: 0.05}},
		{"all dimensions", Config{Entities: 500, Relationships: 1500, Seed: 7, SignalRate: 0.2, Dimensions: kg.Dimensions}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Generate(tt.cfg)
			if err := b.Validate(); err != nil {
				t.Fatalf("generated batch is invalid: %v", err)
			}
			if len(b.Entities) != tt.cfg.Entities {
				t.Errorf("entities = %d, want %d", len(b.Entities), tt.cfg.Entities)
			}
			if len(b.Relationships) != tt.cfg.Relationships {
				t.Errorf("relationships = %d, want %d", len(b.Relationships), tt.cfg.Relationships)
			}
			if len(b.Signals) == 0 {
				t.Errorf("no signals at rate %v", tt.cfg.SignalRate)
			}
			kinds := map[kg.Kind]int{}
			ids := map[string]bool{}
			for i, e := range b.Entities {
				kinds[e.Kind]++
				ids[e.ID] = true
				if i > 0 && b.Entities[i-1].ID >= e.ID {
					t.Fatalf("ids not ascending at %d: %q then %q", i, b.Entities[i-1].ID, e.ID)
				}
			}
			for _, k := range kg.Kinds {
				if kinds[k] == 0 {
					t.Errorf("no entity of kind %s", k)
				}
			}
			for _, r := range b.Relationships {
				if !ids[r.From] || !ids[r.To] {
					t.Fatalf("relationship %s has a dangling end", r.ID())
				}
			}
			for _, s := range b.Signals {
				if !ids[s.EntityID] || !ids[s.Sources[0].SourceID] {
					t.Fatalf("signal %s cites or sits on an unknown entity", s.ID)
				}
			}
			if again := Generate(tt.cfg); !reflect.DeepEqual(b, again) {
				t.Error("same config gave a different batch")
			}
			other := tt.cfg
			other.Seed++
			if reflect.DeepEqual(b.Relationships, Generate(other).Relationships) {
				t.Error("a different seed gave the same relationships")
			}
		})
	}
}

func TestGenerateShape(t *testing.T) {
	g := GenerateGraph(Config{Entities: 20000, Relationships: 100000, Seed: 3, SignalRate: 0.01})
	byType := map[kg.RelType]int{}
	for _, r := range g.Rels {
		byType[r.RelType()]++
		if !kg.Allowed(r.RelType(), g.KindOf(r.From), g.KindOf(r.To)) {
			t.Fatalf("%s joins %s to %s", r.RelType(), g.KindOf(r.From), g.KindOf(r.To))
		}
	}
	// Products are sold and used far more often than laws are enacted.
	if byType[kg.RelSells] < 5*byType[kg.RelEnacted] || byType[kg.RelUses] < 5*byType[kg.RelEnacted] {
		t.Errorf("unrealistic mix: %v", byType)
	}
	n := map[kg.Kind]int32{}
	for _, r := range g.Ranges {
		n[r.Kind] = r.End - r.Start
	}
	if n[kg.KindGovernment] >= n[kg.KindVendor] || n[kg.KindLaw] >= n[kg.KindProduct] {
		t.Errorf("unrealistic kinds: %v", n)
	}
}

func TestGenerateTooSmallForRelationships(t *testing.T) {
	b := Generate(Config{Entities: 3, Relationships: 1000, Seed: 1})
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(b.Relationships) >= 1000 {
		t.Errorf("3 entities cannot hold %d distinct relationships", len(b.Relationships))
	}
}
