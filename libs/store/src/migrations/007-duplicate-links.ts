import type { Migration } from './migration';

/*
 * Near-duplicate links, found once per vector instead of one kNN query per product per page visit
 * (libs/search/src/duplicate-links.ts). Each product's nearest neighbours (rank 1 = its nearest)
 * with their cosine similarity; the duplicates page reads the links above a threshold and the
 * nearest-neighbour similarities (rank 1, for the automatic threshold) through the indexes here.
 *
 * product_links_pending lists the vectors whose links are to be computed, in a narrow table of its
 * own: marking a product_embeddings row instead would rewrite it, and a non-HOT update of a 3 KB
 * row re-inserts it into the HNSW index (milliseconds each). Triggers keep it current: a new vector
 * is queued; a changed one is queued again, every link from or to it goes, and the products whose
 * list held it are queued too. `queued_at` tells a refresher whether the vector changed while it
 * computed. Deleting a product deletes its links (foreign keys); other lists then hold one
 * neighbour less. The state lives in Postgres, so a lost wake-up never loses work.
 */
export const duplicateLinks: Migration = {
  version: 7,
  name: 'duplicate_links',
  sql: `
CREATE TABLE product_neighbours (
  model        text NOT NULL,
  product_id   text NOT NULL,
  neighbour_id text NOT NULL,
  rank         smallint NOT NULL CHECK (rank >= 1),
  score        double precision NOT NULL,
  PRIMARY KEY (model, product_id, neighbour_id),
  FOREIGN KEY (product_id, model) REFERENCES product_embeddings (product_id, model) ON DELETE CASCADE,
  FOREIGN KEY (neighbour_id, model) REFERENCES product_embeddings (product_id, model) ON DELETE CASCADE
);
CREATE INDEX product_neighbours_by_score ON product_neighbours (model, score DESC);
CREATE INDEX product_neighbours_nearest ON product_neighbours (model, score) WHERE rank = 1;
CREATE INDEX product_neighbours_to ON product_neighbours (neighbour_id, model);

CREATE TABLE product_links_pending (
  model      text NOT NULL,
  product_id text NOT NULL,
  queued_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (model, product_id),
  FOREIGN KEY (product_id, model) REFERENCES product_embeddings (product_id, model) ON DELETE CASCADE
);

-- Every vector already stored is linked once.
INSERT INTO product_links_pending (model, product_id)
SELECT model, product_id FROM product_embeddings WHERE embedding_visual IS NOT NULL;

CREATE FUNCTION product_links_queue_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO product_links_pending (model, product_id)
  SELECT model, product_id FROM new_rows WHERE embedding_visual IS NOT NULL
  ON CONFLICT (model, product_id) DO UPDATE SET queued_at = clock_timestamp();
  RETURN NULL;
END $$;

CREATE TRIGGER product_links_queue_new AFTER INSERT ON product_embeddings
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION product_links_queue_new();

CREATE FUNCTION product_links_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO product_links_pending (model, product_id)
  SELECT NEW.model, l.product_id FROM product_neighbours l
   WHERE l.model = NEW.model AND l.neighbour_id = NEW.product_id
  UNION SELECT NEW.model, NEW.product_id WHERE NEW.embedding_visual IS NOT NULL
  ON CONFLICT (model, product_id) DO UPDATE SET queued_at = clock_timestamp();
  DELETE FROM product_neighbours
   WHERE model = NEW.model AND (product_id = NEW.product_id OR neighbour_id = NEW.product_id);
  RETURN NULL;
END $$;

-- AFTER, once the statement wrote all its rows: a batch may change two neighbours at once.
CREATE TRIGGER product_links_stale AFTER UPDATE OF embedding_visual ON product_embeddings
  FOR EACH ROW WHEN (OLD.embedding_visual IS DISTINCT FROM NEW.embedding_visual)
  EXECUTE FUNCTION product_links_stale();
`,
};
