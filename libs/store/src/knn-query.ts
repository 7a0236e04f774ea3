import { type IndexedModel, indexedVectorExpression, modelPredicate, queryVectorCast } from './model-index';

/**
 * The nearest-neighbour query of one model, shaped so its partial HNSW index serves it: ORDER BY
 * the cosine distance between the index's own expression and a parameter, under the index's own
 * predicate (the model id as a literal: a parameter would hide it from the planner's proof that
 * the query only asks for rows the index holds), with a LIMIT. Only this model's rows are in the
 * index; the excluded product and the attribute filter are applied to its candidates, and with
 * iterative index scans (pgvector 0.8) the scan goes on until k candidates pass them. Parameters:
 * $1 query vector, $2 product id to exclude (or null), $3 k, $4 the attribute filter (ATTRIBUTE_FILTER_SQL).
 */
export function nearestNeighboursSql(model: IndexedModel): string {
  const distance = `${indexedVectorExpression(model, 'e')} <=> ${queryVectorCast(model, '$1')}`;
  return `
SELECT e.product_id, p.title, p.image_url, 1 - (${distance}) AS score
  FROM product_embeddings e
  JOIN products p ON p.id = e.product_id
 WHERE ${modelPredicate(model, 'e')} AND ($2::text IS NULL OR e.product_id <> $2::text)
   AND ${attributeFilterSql(4)}
 ORDER BY ${distance}
 LIMIT $3`;
}

/**
 * Equality on top-level keys of products.attributes (alias p) as jsonb containment, parameter
 * `$n` a jsonb object of scalars or null for "no filter" (see attributeFilterParam).
 */
export function attributeFilterSql(n: number): string {
  return `($${n}::jsonb IS NULL OR p.attributes @> $${n}::jsonb)`;
}
