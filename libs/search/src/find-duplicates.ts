import type { SearchHit } from '@vectorizer/store';
import { UnionFind } from './union-find';

export interface DuplicateGroup {
  products: { productId: string; title: string | null; imageUrl: string }[];
  /** Lowest and highest similarity among the links that joined this group. */
  minScore: number;
  maxScore: number;
}

export interface FindDuplicatesOptions {
  /** Every product id with an embedding for the model, in pages (EmbeddingsRepository.embeddedProductIds). */
  productIds: AsyncIterable<string[]>;
  /** Its k nearest neighbours through the HNSW index (itself excluded). */
  neighbours: (productId: string) => Promise<SearchHit[]>;
  /** Cosine similarity at or above which two products are duplicates. */
  threshold: number;
  /** Title and image of a group member never seen as someone's neighbour (rare: HNSW is approximate). */
  describe: (productId: string) => Promise<{ title: string | null; imageUrl: string } | undefined>;
  /** Called after each page with the number of products looked at so far. */
  onProgress?: (done: number) => void;
}

/**
 * Near-duplicate groups: each product's top-k neighbours above the threshold are linked, and
 * linked products are grouped transitively (union-find). One index query per product, so the
 * cost grows with n·log n, never n² — but a duplicate beyond a product's top-k is only found if
 * the link is seen from another member of the group.
 */
export async function findDuplicates(options: FindDuplicatesOptions): Promise<DuplicateGroup[]> {
  const sets = new UnionFind();
  const details = new Map<string, DuplicateGroup['products'][number]>();
  const linkScores = new Map<string, number[]>();
  let done = 0;
  for await (const page of options.productIds) {
    for (const productId of page) {
      for (const hit of await options.neighbours(productId)) {
        if (hit.score < options.threshold) break; // hits come ranked, best first
        sets.union(productId, hit.productId);
        details.set(hit.productId, { productId: hit.productId, title: hit.title, imageUrl: hit.imageUrl });
        const scores = linkScores.get(productId) ?? [];
        scores.push(hit.score);
        linkScores.set(productId, scores);
      }
    }
    done += page.length;
    options.onProgress?.(done);
  }
  const groups: DuplicateGroup[] = [];
  for (const members of sets.groups()) {
    const products: DuplicateGroup['products'] = [];
    for (const productId of members) {
      const known = details.get(productId) ?? {
        productId,
        title: null,
        imageUrl: '',
        ...(await options.describe(productId)),
      };
      products.push(known);
    }
    const scores = members.flatMap((id) => linkScores.get(id) ?? []);
    groups.push({ products, minScore: Math.min(...scores), maxScore: Math.max(...scores) });
  }
  return groups;
}
