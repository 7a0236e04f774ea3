/** A catalog product as ingested. `title`/`attributes` left out are stored as null (the input is the whole product). */
export interface ProductInput {
  id: string;
  imageUrl: string;
  title?: string | null;
  attributes?: Record<string, unknown> | null;
}

export interface Product {
  id: string;
  imageUrl: string;
  title: string | null;
  attributes: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One embedding of one product's image by one model; `imageUrl` is the URL that was embedded. */
export interface EmbeddingRow {
  productId: string;
  model: string;
  embedding: Float32Array;
  imageUrl: string;
  imageSha256: string;
  /** True when the vector was copied from an identical image's instead of inferred (default false). */
  reused?: boolean;
}

export interface SearchHit {
  productId: string;
  title: string | null;
  imageUrl: string;
  /** Cosine similarity: 1 - cosine distance (1 = same direction). */
  score: number;
}
