import type { AttributeFilter, SearchHit } from '@vectorizer/store';
import { withDisplayImageUrl } from './display-image-url';
import type { LazySearchModel } from './search-model';

export interface SearchRepository {
  similarToProduct(
    productId: string,
    model: string,
    k: number,
    efSearch: number,
    filter?: AttributeFilter,
  ): Promise<SearchHit[]>;
  searchByVector(
    vector: Float32Array,
    model: string,
    k: number,
    efSearch: number,
    filter?: AttributeFilter,
  ): Promise<SearchHit[]>;
}

/**
 * The three ways to search; each ends in the same HNSW kNN query ranked by cosine similarity, over
 * the products matching the attribute filter when one is given. Hits carry an image URL a browser
 * can load (`displayImageUrl`).
 */
export class SearchService {
  constructor(
    private readonly model: LazySearchModel,
    private readonly repository: SearchRepository,
    private readonly efSearch: number,
  ) {}

  async similarToProduct(productId: string, k: number, filter?: AttributeFilter): Promise<SearchHit[]> {
    const { modelId } = await this.model.encoder();
    return (await this.repository.similarToProduct(productId, modelId, k, this.efSearch, filter)).map(
      withDisplayImageUrl,
    );
  }

  async byImage(image: Buffer, k: number, filter?: AttributeFilter): Promise<SearchHit[]> {
    const encoder = await this.model.encoder();
    const [vector] = await encoder.embedImages([image]);
    return (await this.repository.searchByVector(vector, encoder.modelId, k, this.efSearch, filter)).map(
      withDisplayImageUrl,
    );
  }

  async byText(query: string, k: number, filter?: AttributeFilter): Promise<SearchHit[]> {
    const encoder = await this.model.encoder();
    const [vector] = await encoder.embedTexts([query]);
    return (await this.repository.searchByVector(vector, encoder.modelId, k, this.efSearch, filter)).map(
      withDisplayImageUrl,
    );
  }
}
