import type { KnnStrategy, PlannedSearch } from '@vectorizer/search';
import type { AttributeFilter, KnnQuery, RegisteredModel, SearchHit } from '@vectorizer/store';
import { withDisplayImageUrl } from './display-image-url';
import type { LazySearchModel } from './search-model';

/** The kNN planner (KnnPlanner in @vectorizer/search): exact for selective filters, HNSW otherwise. */
export interface VectorSearch {
  search(query: KnnQuery, model: string, k: number, filter?: AttributeFilter): Promise<PlannedSearch>;
}

/** Which model answers: the active one (read per search, so an activation applies at once). */
export interface ActiveModelSource {
  requireActive(): Promise<RegisteredModel>;
  requireActiveLoaded(loadedModelId: string): Promise<RegisteredModel>;
}

/** A search's answer: the model whose vectors ranked the results, how they were found, and the results. */
export interface SearchAnswer {
  model: string;
  strategy: KnnStrategy;
  results: SearchHit[];
}

/**
 * The three ways to search; each ends in the kNN planner over the active model's vectors, ranked
 * by cosine similarity, over the products matching the attribute filter when one is given. Similar-product search compares stored vectors, so it follows the active
 * model whatever this process loaded; text and image queries are embedded by the loaded model,
 * so they answer only while it is the active one (ACTIVE_MODEL_NOT_LOADED otherwise: a query
 * vector of one model must never be compared with another model's vectors).
 * Hits carry an image URL a browser can load (`displayImageUrl`).
 */
export class SearchService {
  constructor(
    private readonly model: LazySearchModel,
    private readonly planner: VectorSearch,
    private readonly models: ActiveModelSource,
  ) {}

  async similarToProduct(productId: string, k: number, filter?: AttributeFilter): Promise<SearchAnswer> {
    const { id } = await this.models.requireActive();
    return this.answer(id, await this.planner.search({ productId }, id, k, filter));
  }

  async byImage(image: Buffer, k: number, filter?: AttributeFilter): Promise<SearchAnswer> {
    const encoder = await this.model.encoder();
    const { id } = await this.models.requireActiveLoaded(encoder.modelId);
    const [vector] = await encoder.embedImages([image]);
    return this.answer(id, await this.planner.search({ vector: vector as Float32Array }, id, k, filter));
  }

  async byText(query: string, k: number, filter?: AttributeFilter): Promise<SearchAnswer> {
    const encoder = await this.model.encoder();
    const { id } = await this.models.requireActiveLoaded(encoder.modelId);
    const [vector] = await encoder.embedTexts([query]);
    return this.answer(id, await this.planner.search({ vector: vector as Float32Array }, id, k, filter));
  }

  private answer(model: string, { strategy, hits }: PlannedSearch): SearchAnswer {
    return { model, strategy, results: hits.map(withDisplayImageUrl) };
  }
}
