import type { AttributeFilter, RegisteredModel, SearchHit } from '@vectorizer/store';
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

/** Which model answers: the active one (read per search, so an activation applies at once). */
export interface ActiveModelSource {
  requireActive(): Promise<RegisteredModel>;
  requireActiveLoaded(loadedModelId: string): Promise<RegisteredModel>;
}

/** A search's answer: the model whose vectors ranked the results, and the results. */
export interface SearchAnswer {
  model: string;
  results: SearchHit[];
}

/**
 * The three ways to search; each ends in the same HNSW kNN query of the active model, ranked by
 * cosine similarity, over the products
 * matching the attribute filter when one is given. Similar-product search compares stored vectors, so it follows the active
 * model whatever this process loaded; text and image queries are embedded by the loaded model,
 * so they answer only while it is the active one (ACTIVE_MODEL_NOT_LOADED otherwise: a query
 * vector of one model must never be compared with another model's vectors).
 * Hits carry an image URL a browser can load (`displayImageUrl`).
 */
export class SearchService {
  constructor(
    private readonly model: LazySearchModel,
    private readonly repository: SearchRepository,
    private readonly models: ActiveModelSource,
    private readonly efSearch: number,
  ) {}

  async similarToProduct(productId: string, k: number, filter?: AttributeFilter): Promise<SearchAnswer> {
    const { id } = await this.models.requireActive();
    return {
      model: id,
      results: (await this.repository.similarToProduct(productId, id, k, this.efSearch, filter)).map(
        withDisplayImageUrl,
      ),
    };
  }

  async byImage(image: Buffer, k: number, filter?: AttributeFilter): Promise<SearchAnswer> {
    const encoder = await this.model.encoder();
    const { id } = await this.models.requireActiveLoaded(encoder.modelId);
    const [vector] = await encoder.embedImages([image]);
    return {
      model: id,
      results: (await this.repository.searchByVector(vector, id, k, this.efSearch, filter)).map(withDisplayImageUrl),
    };
  }

  async byText(query: string, k: number, filter?: AttributeFilter): Promise<SearchAnswer> {
    const encoder = await this.model.encoder();
    const { id } = await this.models.requireActiveLoaded(encoder.modelId);
    const [vector] = await encoder.embedTexts([query]);
    return {
      model: id,
      results: (await this.repository.searchByVector(vector, id, k, this.efSearch, filter)).map(withDisplayImageUrl),
    };
  }
}
