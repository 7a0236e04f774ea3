import type { ProductPosition, ProductsRepository } from '@vectorizer/store';
import { intake, type IntakeDeps } from './intake';
import { addCounts, emptyIntakeResult, type IntakeResult } from './intake-result';

export interface TopUpResult extends IntakeResult {
  /** The walk reached the newest product; the next pass starts again from the oldest. */
  reachedEnd: boolean;
}

export interface QueueTopUpOptions extends IntakeDeps {
  products: IntakeDeps['products'] & Pick<ProductsRepository, 'pageNeedingEmbeddingOldestFirst'>;
  /** Products read from Postgres per round trip. */
  pageSize?: number;
}

/**
 * The reconcile pass (`enqueue --missing` within the window): walks the products that need an
 * embedding, oldest first (updated_at, id), and puts them through intake while the window has room.
 * The walk resumes where the previous pass stopped, so a 100M-product backlog is read once per sweep
 * rather than from its start every pass; at the newest product it wraps around to the oldest, which
 * also catches a product whose notification was missed while no listener ran.
 *
 * Nothing is enqueued twice: a product whose job is pending is skipped by its job id, and a dead
 * letter is left for `dlq retry` instead of being retried every pass (both count as alreadyQueued).
 */
export class QueueTopUp {
  private cursor: ProductPosition | undefined;
  private readonly pageSize: number;

  constructor(private readonly options: QueueTopUpOptions) {
    this.pageSize = options.pageSize ?? 1_000;
  }

  async pass(): Promise<TopUpResult> {
    const result: TopUpResult = { ...emptyIntakeResult(), reachedEnd: false };
    for (;;) {
      const room = await this.options.window.room();
      if (room <= 0) return result;
      const page = await this.options.products.pageNeedingEmbeddingOldestFirst(this.options.model, {
        after: this.cursor,
        limit: this.pageSize,
      });
      const taken = await intake({ selected: page, keepDeadLetters: true }, this.options);
      // What did not fit is read again next pass: the cursor stops before it, and it is not counted.
      const considered = page.length - taken.deferred;
      addCounts(result, { accepted: considered, enqueued: taken.enqueued, alreadyQueued: taken.alreadyQueued });
      if (considered > 0) this.cursor = page[considered - 1]?.position;
      if (taken.deferred > 0) return result;
      if (page.length < this.pageSize) {
        this.cursor = undefined;
        result.reachedEnd = true;
        return result;
      }
    }
  }
}
