import type { Pool, PoolClient } from 'pg';

/** "($1, $2, $3), ($4, $5, $6)" for `rows` rows of `columns` parameters, each wrapped by `cast(i)`. */
export function valuesPlaceholders(rows: number, columns: number, cast: (column: number) => string = () => ''): string {
  const tuples: string[] = [];
  for (let row = 0; row < rows; row++) {
    const cells: string[] = [];
    for (let column = 0; column < columns; column++) cells.push(`$${row * columns + column + 1}${cast(column)}`);
    tuples.push(`(${cells.join(', ')})`);
  }
  return tuples.join(', ');
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/** Runs `work` in one transaction on one connection; rolls back and rethrows on failure. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection whose ROLLBACK failed is in an unknown state: close it instead of reusing it.
  let unusable = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      unusable = true;
    });
    throw error;
  } finally {
    client.release(unusable);
  }
}
