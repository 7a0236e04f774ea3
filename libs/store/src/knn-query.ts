import { type IndexedModel, indexedVectorExpression, modelPredicate, queryVectorCast } from './model-index';

/**
 * The nearest-neighbour query of one model, shaped so its partial HNSW index serves it: ORDER BY
 * the cosine distance between the index's own expression and a parameter, under the index's own
 * predicate (the model id as a literal: a parameter would hide it from the planner's proof that
 * the query only asks for rows the index holds), with a LIMIT. Only this model's rows are in the
 * index, so iterative scans are needed only for the excluded product. Parameters:
 * $1 query vector, $2 product id to exclude (or null), $3 k.
 */
export function nearestNeighboursSql(model: IndexedModel): string {
  const distance = `${indexedVectorExpression(model, 'e')} <=> ${queryVectorCast(model, '$1')}`;
  return `
SELECT e.product_id, p.title, p.image_url, 1 - (${distance}) AS score
  FROM product_embeddings e
  JOIN products p ON p.id = e.product_id
 WHERE ${modelPredicate(model, 'e')} AND ($2::text IS NULL OR e.product_id <> $2::text)
 ORDER BY ${distance}
 LIMIT $3`;
}
