import type { Pool } from 'pg';
import { inTransaction } from './sql';

/** A product whose links are to be computed, and when it was queued (queued again when its vector changes). */
export interface PendingLinks {
  productId: string;
  /** queued_at in full (microsecond) precision, as text: a Date would round it to milliseconds. */
  queuedAt: string;
}

export interface NeighbourLink {
  neighbourId: string;
  /** Cosine similarity. */
  score: number;
}

export interface StoredLink {
  productId: string;
  neighbourId: string;
  score: number;
}

export interface LinkedProduct {
  productId: string;
  title: string | null;
  imageUrl: string;
}

/**
 * The near-duplicate links of each product (table product_neighbours, migration 7): which products
 * still need theirs, storing a product's list, and what the duplicates page reads.
 */
export class DuplicateLinksRepository {
  constructor(private readonly pool: Pool) {}

  /** Up to `limit` products of `model` whose links are missing or stale (table product_links_pending). */
  async pending(model: string, limit: number): Promise<PendingLinks[]> {
    const { rows } = await this.pool.query<{ product_id: string; queued_at: string }>(
      `SELECT product_id, queued_at::text AS queued_at FROM product_links_pending
        WHERE model = $1 ORDER BY product_id LIMIT $2`,
      [model, limit],
    );
    return rows.map((row) => ({ productId: row.product_id, queuedAt: row.queued_at }));
  }

  async countPending(model: string): Promise<number> {
    const { rows } = await this.pool.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM product_links_pending WHERE model = $1',
      [model],
    );
    return rows[0]?.count ?? 0;
  }

  /**
   * Replaces each product's list with its `links` (best first), if it was not queued again since
   * they were computed (`queuedAt`: its vector changed); returns how many were stored. One transaction for the lot
   * (one commit, not one per product). A product whose vector changed since (it is pending again)
   * or went away is skipped. A neighbour for which a product is closer than its own nearest gets its
   * list recomputed: its nearest-neighbour similarity (the automatic threshold reads it) is stale.
   */
  async saveMany(
    model: string,
    entries: readonly { pending: PendingLinks; links: readonly NeighbourLink[] }[],
  ): Promise<number> {
    if (entries.length === 0) return 0;
    return inTransaction(this.pool, async (client) => {
      let stored = 0;
      for (const { pending, links } of entries) {
        const taken = await client.query(
          'DELETE FROM product_links_pending WHERE model = $1 AND product_id = $2 AND queued_at = $3::timestamptz',
          [model, pending.productId, pending.queuedAt],
        );
        if (taken.rowCount === 0) continue;
        stored += 1;
        const neighbours = links.map((link) => link.neighbourId);
        const scores = links.map((link) => link.score);
        // Old list out; new list in (neighbours deleted meanwhile left out rather than failing the
        // foreign key), and the neighbours this product is nearer to than their nearest marked.
        await client.query('DELETE FROM product_neighbours WHERE model = $1 AND product_id = $2', [
          model,
          pending.productId,
        ]);
        await client.query(
          `WITH added AS (
                  INSERT INTO product_neighbours (model, product_id, neighbour_id, rank, score)
                  SELECT $1, $2, l.neighbour_id, l.rank, l.score
                    FROM unnest($3::text[], $4::float8[]) WITH ORDINALITY AS l (neighbour_id, score, rank)
                    JOIN product_embeddings e ON e.model = $1 AND e.product_id = l.neighbour_id)
           INSERT INTO product_links_pending (model, product_id)
           SELECT $1, l.neighbour_id
             FROM unnest($3::text[], $4::float8[]) AS l (neighbour_id, score)
             JOIN product_neighbours n ON n.model = $1 AND n.product_id = l.neighbour_id AND n.rank = 1
            WHERE n.score < l.score AND n.neighbour_id <> $2
           ON CONFLICT (model, product_id) DO NOTHING`,
          [model, pending.productId, neighbours, scores],
        );
      }
      return stored;
    });
  }

  /** Every product's nearest-neighbour similarity (rank-1 links), for the automatic threshold. */
  async nearestScores(model: string): Promise<number[]> {
    const { rows } = await this.pool.query<{ score: number }>(
      'SELECT score FROM product_neighbours WHERE model = $1 AND rank = 1',
      [model],
    );
    return rows.map((row) => row.score);
  }

  /** The links at or above `threshold` (index on score) among each product's `maxRank` nearest, strongest first. */
  async linksAtLeast(model: string, threshold: number, maxRank: number): Promise<StoredLink[]> {
    const { rows } = await this.pool.query<{ product_id: string; neighbour_id: string; score: number }>(
      `SELECT product_id, neighbour_id, score FROM product_neighbours
        WHERE model = $1 AND score >= $2 AND rank <= $3 ORDER BY score DESC`,
      [model, threshold, maxRank],
    );
    return rows.map((row) => ({ productId: row.product_id, neighbourId: row.neighbour_id, score: row.score }));
  }

  /** Title and image of these products. */
  async describe(productIds: readonly string[]): Promise<Map<string, LinkedProduct>> {
    const { rows } = await this.pool.query<{ id: string; title: string | null; image_url: string }>(
      'SELECT id, title, image_url FROM products WHERE id = ANY($1::text[])',
      [productIds],
    );
    return new Map(rows.map((row) => [row.id, { productId: row.id, title: row.title, imageUrl: row.image_url }]));
  }
}
