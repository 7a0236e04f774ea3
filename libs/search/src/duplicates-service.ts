import type { DuplicateLinks, LinksReport } from './duplicate-links';
import { type DuplicatesReport, findDuplicates } from './find-duplicates';
import type { ActiveModelSource, VectorSearch } from './search-service';

/**
 * Pending links an answer from the stored links computes first: right after a small ingest the
 * answer is complete; a large backlog is left to the background refresher and the answer says how
 * much is pending.
 */
const LINKS_CATCH_UP = 200;

/** The catalog a full scan walks: every product embedded for a model, and the details of one product. */
export interface DuplicatesCatalog {
  /** Every product id with a vector for `model`, in pages (EmbeddingsRepository.embeddedProductIds). */
  embeddedProductIds(model: string): AsyncIterable<string[]>;
  describe(productId: string): Promise<{ title: string | null; imageUrl: string } | undefined>;
}

/**
 * Groups of near-duplicate products of the active model, from its stored vectors only (no model
 * loaded, as similar-product search compares): either a scan of every product's neighbours through
 * the planner's HNSW search (the CLI, any k), or the stored links kept up to date in the background
 * (the API, k up to LINKS_PER_PRODUCT).
 */
export class DuplicatesService {
  constructor(
    private readonly planner: VectorSearch,
    private readonly models: ActiveModelSource,
    private readonly catalog: DuplicatesCatalog,
    private readonly links: DuplicateLinks,
  ) {}

  async scan(
    threshold: number | 'auto',
    k: number,
    onProgress?: (done: number) => void,
  ): Promise<DuplicatesReport & { model: string }> {
    const { id: model } = await this.models.requireActive();
    const report = await findDuplicates({
      productIds: this.catalog.embeddedProductIds(model),
      neighbours: async (productId) => (await this.planner.search({ productId }, model, k)).hits,
      describe: (productId) => this.catalog.describe(productId),
      threshold,
      onProgress,
    });
    return { model, ...report };
  }

  async linked(threshold: number | 'auto', k: number): Promise<LinksReport & { model: string }> {
    const { id: model } = await this.models.requireActive();
    await this.links.refresh(model, LINKS_CATCH_UP);
    return { model, ...(await this.links.report(model, threshold, k)) };
  }
}
