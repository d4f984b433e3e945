package neo4jstore

import (
	"context"
	"fmt"
	"strings"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// matchQuery is the fulltext query over the entity_keys index that retrieves match targets:
// any of the keys. A key is a prefix with a colon and lower-case ASCII letters and digits
// (match.Keys), so the colon is the one character to escape.
func matchQuery(keys []string) string {
	esc := make([]string, len(keys))
	for i, k := range keys {
		esc[i] = strings.ReplaceAll(k, ":", `\:`)
	}
	return strings.Join(esc, " OR ")
}

// MatchTargets retrieves match targets through the entity_keys fulltext index over the
// search keys of every name an entity had: the entities sharing the most (and rarest) keys
// with the candidate's names first, by Lucene's score, which weighs a key by its rarity as
// match.KeyWeight does; ties by id.
func (s *Store) MatchTargets(ctx context.Context, q store.MatchQuery) ([]kg.Entity, error) {
	lq := matchQuery(q.Keys)
	mo := moment{AsOf: q.AsOf, KnownAt: q.KnownAt}
	params := mo.params(map[string]any{"limit": int64(q.Limit), "q": lq})
	cypher := `CALL db.index.fulltext.queryNodes('entity_keys', $q) YIELD node AS n, score
WHERE ` + mo.node("n") + `
WITH n, score ORDER BY score DESC, n.id LIMIT $limit
RETURN n {.*} AS n`
	if err := s.awaitFulltext(ctx); err != nil {
		return nil, mapErr(ctx, err)
	}
	out, err := s.readEntities(ctx, cypher, params, mo.at())
	if err != nil {
		return nil, fmt.Errorf("retrieve match targets for %q: %w", q.Names[0], err)
	}
	return out, nil
}

// backfill gives entities written before search keys and name order were stored their
// matchKeys (so that MatchTargets finds them), nameOrder and renamed (so that List by name
// lists them), in batches. A store written since has none to do.
func (s *Store) backfill(ctx context.Context) error {
	const batch = 2000
	for {
		var rows []map[string]any
		err := s.read(ctx, func(tx *txn) error {
			rows = rows[:0]
			recs, err := tx.run(ctx, "MATCH (n:Entity) WHERE n.matchKeys IS NULL OR n.nameOrder IS NULL RETURN n {.*} AS n LIMIT $limit",
				map[string]any{"limit": int64(batch)})
			if err != nil {
				return err
			}
			for _, r := range recs {
				es, err := entityRows(rec{r}.get("n"))
				if err != nil {
					return err
				}
				p := entityProps(es)
				rows = append(rows, map[string]any{"id": es[0].ID, "k": matchKeysOf(es), "o": p["nameOrder"], "r": p["renamed"]})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read entities without search keys or name order: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		err = s.write(ctx, func(tx *txn) error {
			_, err := tx.run(ctx, "UNWIND $rows AS row MATCH (n:Entity {id: row.id}) SET n.matchKeys = row.k, n.nameOrder = row.o, n.renamed = row.r", map[string]any{"rows": rows})
			return err
		})
		if err != nil {
			return fmt.Errorf("store search keys and name order of %d entities: %w", len(rows), err)
		}
	}
}
