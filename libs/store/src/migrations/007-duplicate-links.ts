import type { Migration } from './migration';

/*
 * Near-duplicate links, found once per vector instead of one kNN query per product per page visit
 * (libs/search/src/duplicate-links.ts). Each product's nearest neighbours (rank 1 = its nearest)
 * with their cosine similarity; the duplicates page reads the links above a threshold and the
 * nearest-neighbour similarities (rank 1, for the automatic threshold) through the indexes here.
 *
 * `neighbours_at` NULL means "links to compute": a new vector starts so, and the trigger puts a
 * changed vector back there, deletes every link from or to it, and sends the products whose list
 * held it back too. The pending state lives in Postgres, so a lost wake-up never loses work.
 * Deleting a product deletes its links (foreign keys); other lists then hold one neighbour less.
 */
export const duplicateLinks: Migration = {
  version: 7,
  name: 'duplicate_links',
  sql: `
ALTER TABLE product_embeddings ADD COLUMN neighbours_at timestamptz;
CREATE INDEX product_embeddings_links_pending ON product_embeddings (model, product_id)
  WHERE neighbours_at IS NULL AND embedding_visual IS NOT NULL;

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

CREATE FUNCTION product_embeddings_links_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE product_embeddings e SET neighbours_at = NULL
    FROM product_neighbours l
   WHERE l.model = NEW.model AND l.neighbour_id = NEW.product_id
     AND e.model = l.model AND e.product_id = l.product_id AND e.neighbours_at IS NOT NULL;
  DELETE FROM product_neighbours WHERE model = NEW.model AND (product_id = NEW.product_id OR neighbour_id = NEW.product_id);
  UPDATE product_embeddings SET neighbours_at = NULL
   WHERE model = NEW.model AND product_id = NEW.product_id AND neighbours_at IS NOT NULL;
  RETURN NULL;
END $$;

-- AFTER, once the statement wrote all its rows: a batch may change two neighbours at once.
CREATE TRIGGER product_embeddings_links_stale AFTER UPDATE OF embedding_visual ON product_embeddings
  FOR EACH ROW WHEN (OLD.embedding_visual IS DISTINCT FROM NEW.embedding_visual)
  EXECUTE FUNCTION product_embeddings_links_stale();
`,
};
