import type { SearchHit } from '@vectorizer/store';
import { type ThresholdChoice, chooseDuplicateThreshold } from './duplicate-threshold';
import { UnionFind } from './union-find';

type ProductDetails = { productId: string; title: string | null; imageUrl: string };

export interface DuplicateGroup {
  products: ProductDetails[];
  /** Lowest and highest similarity among the links that joined this group. */
  minScore: number;
  maxScore: number;
}

export interface FindDuplicatesOptions {
  /** Every product id with an embedding for the model, in pages (EmbeddingsRepository.embeddedProductIds). */
  productIds: AsyncIterable<string[]>;
  /** Its k nearest neighbours through the HNSW index (itself excluded), best first. */
  neighbours: (productId: string) => Promise<SearchHit[]>;
  /**
   * Cosine similarity at or above which two products are duplicates, or `auto`: chosen from the
   * catalog's nearest-neighbour similarities (chooseDuplicateThreshold).
   */
  threshold: number | 'auto';
  /** Title and image of a group member never seen as someone's neighbour (rare: HNSW is approximate). */
  describe: (productId: string) => Promise<{ title: string | null; imageUrl: string } | undefined>;
  /** Called after each page with the number of products looked at so far. */
  onProgress?: (done: number) => void;
}

export interface DuplicatesReport {
  threshold: number;
  /** How an `auto` threshold was chosen, with the distribution it was chosen from; absent for a given one. */
  choice?: ThresholdChoice;
  groups: DuplicateGroup[];
}

/**
 * Near-duplicate groups: each product's top-k neighbours above the threshold are linked, and
 * linked products are grouped transitively (union-find). One index query per product, so the
 * cost grows with n·log n, never n² — but a duplicate beyond a product's top-k is only found if
 * the link is seen from another member of the group. The neighbour lists are kept (ids and scores)
 * until the threshold is known, so an automatic threshold costs no second pass over the index.
 */
export async function findDuplicates(options: FindDuplicatesOptions): Promise<DuplicatesReport> {
  const details = new Map<string, ProductDetails>();
  const neighbourLists: { productId: string; ids: string[]; scores: Float64Array }[] = [];
  let done = 0;
  for await (const page of options.productIds) {
    for (const productId of page) {
      const hits = await options.neighbours(productId);
      if (hits.length === 0) continue;
      for (const hit of hits)
        details.set(hit.productId, { productId: hit.productId, title: hit.title, imageUrl: hit.imageUrl });
      neighbourLists.push({
        productId,
        ids: hits.map((hit) => hit.productId),
        scores: Float64Array.from(hits, (hit) => hit.score),
      });
    }
    done += page.length;
    options.onProgress?.(done);
  }

  const choice =
    options.threshold === 'auto' ? chooseDuplicateThreshold(neighbourLists.map((list) => list.scores[0])) : undefined;
  const threshold = choice?.threshold ?? (options.threshold as number);

  const sets = new UnionFind();
  const linkScores = new Map<string, number[]>();
  for (const { productId, ids, scores } of neighbourLists) {
    for (let i = 0; i < ids.length && scores[i] >= threshold; i += 1) {
      sets.union(productId, ids[i]);
      const linked = linkScores.get(productId) ?? [];
      linked.push(scores[i]);
      linkScores.set(productId, linked);
    }
  }
  const groups: DuplicateGroup[] = [];
  for (const members of sets.groups()) {
    const products: DuplicateGroup['products'] = [];
    for (const productId of members) {
      let known = details.get(productId);
      if (!known) {
        const described = await options.describe(productId);
        known = { productId, title: described?.title ?? null, imageUrl: described?.imageUrl ?? '' };
      }
      products.push(known);
    }
    const scores = members.flatMap((id) => linkScores.get(id) ?? []);
    groups.push({ products, minScore: Math.min(...scores), maxScore: Math.max(...scores) });
  }
  return { threshold, ...(choice ? { choice } : {}), groups };
}
