package neo4jstore

import (
	"context"
	"testing"
)

// A fulltext index made by an earlier version (refreshed on every commit) is dropped and made
// again, eventually consistent, when a store sets its schema up.
func TestOldFulltextIndexesAreMadeAgain(t *testing.T) {
	s := openShared(t)
	ctx := context.Background()
	run := func(stmt string) {
		t.Helper()
		if err := s.raw.write(ctx, func(tx *txn) error { _, err := tx.run(ctx, stmt, nil); return err }); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	run("DROP INDEX entity_keys IF EXISTS")
	run("CREATE FULLTEXT INDEX entity_keys FOR (n:Entity) ON EACH [n.matchKeys] OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}")
	eventual := func() bool {
		t.Helper()
		var ec bool
		err := s.raw.read(ctx, func(tx *txn) error {
			recs, err := tx.run(ctx, "SHOW FULLTEXT INDEXES YIELD name, options WHERE name = 'entity_keys' "+
				"RETURN coalesce(options.indexConfig.`fulltext.eventually_consistent`, false) AS ec", nil)
			if err != nil || len(recs) != 1 {
				t.Fatalf("read entity_keys options: %d rows, %v", len(recs), err)
			}
			ec, _ = rec{recs[0]}.get("ec").(bool)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ec
	}
	if eventual() {
		t.Fatal("the index made the old way is already eventually consistent")
	}
	if err := s.raw.setupSchema(ctx); err != nil {
		t.Fatalf("set the schema up over the old index: %v", err)
	}
	if !eventual() {
		t.Error("entity_keys is still refreshed on every commit after the schema was set up")
	}
}
