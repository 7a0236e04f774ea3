import type { Pool } from 'pg';

/**
 * Every product id with an embedding for `model`, in pages, by keyset pagination on the
 * (model, product_id) index — constant memory and no OFFSET rescans on a large catalog.
 */
export async function* embeddedProductIds(pool: Pool, model: string, pageSize = 1_000): AsyncIterable<string[]> {
  let after = '';
  for (;;) {
    const { rows } = await pool.query<{ product_id: string }>(
      `SELECT product_id FROM product_embeddings
        WHERE model = $1 AND product_id > $2 AND embedding_visual IS NOT NULL
        ORDER BY product_id LIMIT $3`,
      [model, after, pageSize],
    );
    if (rows.length === 0) return;
    yield rows.map((row) => row.product_id);
    after = rows[rows.length - 1].product_id;
  }
}
