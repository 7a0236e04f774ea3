import type { AttributeFilter, KnnQuery, RegisteredModel, SearchHit } from '@vectorizer/store';
import type { KnnStrategy, PlannedSearch } from './knn-planner';
import type { QueryEncoderSource } from './query-encoder';

/** The kNN planner (KnnPlanner): exact for selective filters, HNSW otherwise. */
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
 * The three ways to search, for the API and the CLI alike; each ends in the kNN planner over the
 * active model's vectors, ranked by cosine similarity, over the products matching the attribute
 * filter when one is given. Similar-product search compares stored vectors, so it follows the
 * active model whatever this process loaded; text and image queries are embedded by the loaded
 * model, so they answer only while it is the active one (ACTIVE_MODEL_NOT_LOADED otherwise, checked
 * before the session starts: a query vector of one model must never be compared with another's).
 */
export class SearchService {
  constructor(
    private readonly planner: VectorSearch,
    private readonly models: ActiveModelSource,
    private readonly queries: QueryEncoderSource,
  ) {}

  async similarToProduct(productId: string, k: number, filter?: AttributeFilter): Promise<SearchAnswer> {
    const { id } = await this.models.requireActive();
    return this.answer(id, { productId }, k, filter);
  }

  async byImage(image: Buffer, k: number, filter?: AttributeFilter): Promise<SearchAnswer> {
    const id = await this.loadedActiveModel();
    const [vector] = await (await this.queries.encoder()).embedImages([image]);
    return this.answer(id, { vector: vector as Float32Array }, k, filter);
  }

  async byText(text: string, k: number, filter?: AttributeFilter): Promise<SearchAnswer> {
    const id = await this.loadedActiveModel();
    const [vector] = await (await this.queries.encoder()).embedTexts([text]);
    return this.answer(id, { vector: vector as Float32Array }, k, filter);
  }

  private async loadedActiveModel(): Promise<string> {
    return (await this.models.requireActiveLoaded(await this.queries.modelId())).id;
  }

  private async answer(model: string, query: KnnQuery, k: number, filter?: AttributeFilter): Promise<SearchAnswer> {
    const { strategy, hits } = await this.planner.search(query, model, k, filter);
    return { model, strategy, results: hits };
  }
}
