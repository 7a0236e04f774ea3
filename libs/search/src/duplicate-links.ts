import type { KnnQuery, LinkedProduct, NeighbourLink, PendingLinks, SearchHit, StoredLink } from '@vectorizer/store';
import { type ThresholdChoice, chooseDuplicateThreshold } from './duplicate-threshold';
import type { DuplicateGroup, DuplicatesReport } from './find-duplicates';
import { UnionFind } from './union-find';

/** Neighbours kept per product: enough for groups of up to this many copies of one picture. */
export const LINKS_PER_PRODUCT = 10;
const PAGE = 100;

/** What the links service reads and writes (DuplicateLinksRepository in @vectorizer/store). */
export interface LinksStore {
  pending(model: string, limit: number): Promise<PendingLinks[]>;
  countPending(model: string): Promise<number>;
  saveMany(
    model: string,
    entries: readonly { pending: PendingLinks; links: readonly NeighbourLink[] }[],
  ): Promise<number>;
  nearestScores(model: string): Promise<number[]>;
  linksAtLeast(model: string, threshold: number, maxRank: number): Promise<StoredLink[]>;
  describe(productIds: readonly string[]): Promise<Map<string, LinkedProduct>>;
}

/** A stored product's nearest neighbours, itself excluded (the planner's unfiltered HNSW search). */
export type NeighbourSearch = (query: KnnQuery, model: string, k: number) => Promise<SearchHit[]>;

export interface LinksReport extends DuplicatesReport {
  /** Embedded products whose links are not computed yet (left out of the groups and the distribution). */
  pending: number;
}

/**
 * Near-duplicates from stored links: each product's neighbours are found once, when its vector
 * is new or changed (`refresh`, run in the background), and the duplicates page only reads links
 * (`report`): the nearest-neighbour similarities for the automatic threshold and the links above
 * it, grouped transitively. A visit costs a few index reads, not one kNN query per product.
 */
export class DuplicateLinks {
  private readonly choices = new Map<string, { choice: ThresholdChoice; at: number }>();
  /** The refresh running per model: a page visit and the background refresher share it, not redo its kNN. */
  private readonly refreshing = new Map<string, Promise<number>>();

  /**
   * `choiceTtlMs`: how long an automatic threshold is reused. Choosing it reads and sorts every
   * product's nearest-neighbour similarity, a distribution that a minute of new or changed pictures
   * barely moves; the links above it are read on every visit.
   */
  constructor(
    private readonly store: LinksStore,
    private readonly neighbours: NeighbourSearch,
    private readonly choiceTtlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Computes the links of up to `max` pending products of `model`; returns how many were stored.
   * Safe beside another refresher: a product done twice is stored twice with the same result, and
   * one whose vector changed meanwhile is left pending (saveMany checks the vector's write time).
   * A call while one for the same model runs waits for that one and answers its count.
   */
  refresh(model: string, max = Number.POSITIVE_INFINITY): Promise<number> {
    const running = this.refreshing.get(model);
    if (running) return running;
    const started = this.refreshPending(model, max).finally(() => this.refreshing.delete(model));
    this.refreshing.set(model, started);
    return started;
  }

  private async refreshPending(model: string, max: number): Promise<number> {
    let stored = 0;
    let seen = 0;
    while (seen < max) {
      const page = await this.store.pending(model, Math.min(PAGE, max - seen));
      if (page.length === 0) break;
      const entries: { pending: PendingLinks; links: NeighbourLink[] }[] = [];
      for (const pending of page) {
        const hits = await this.neighbours({ productId: pending.productId }, model, LINKS_PER_PRODUCT);
        entries.push({ pending, links: hits.map((hit) => ({ neighbourId: hit.productId, score: hit.score })) });
      }
      stored += await this.store.saveMany(model, entries);
      seen += page.length;
      // A page whose products all changed meanwhile comes back at once: stop rather than spin.
      if (page.length < PAGE) break;
    }
    return stored;
  }

  /**
   * Duplicate groups at `threshold` (or chosen from the nearest-neighbour similarities: `auto`),
   * linking each product to those among its `k` nearest (at most LINKS_PER_PRODUCT) above it.
   */
  async report(model: string, threshold: number | 'auto', k = LINKS_PER_PRODUCT): Promise<LinksReport> {
    const choice = threshold === 'auto' ? await this.automaticThreshold(model) : undefined;
    const cut = choice?.threshold ?? (threshold as number);
    const [links, pending] = await Promise.all([
      this.store.linksAtLeast(model, cut, k),
      this.store.countPending(model),
    ]);
    const sets = new UnionFind();
    const scores = new Map<string, number[]>();
    for (const link of links) {
      sets.union(link.productId, link.neighbourId);
      scores.set(link.productId, [...(scores.get(link.productId) ?? []), link.score]);
    }
    const members = sets.groups();
    const details = await this.store.describe(members.flat());
    const groups: DuplicateGroup[] = members.map((ids) => {
      const linked = ids.flatMap((id) => scores.get(id) ?? []);
      return {
        products: ids.map((id) => details.get(id) ?? { productId: id, title: null, imageUrl: '' }),
        minScore: Math.min(...linked),
        maxScore: Math.max(...linked),
      };
    });
    return { threshold: cut, ...(choice ? { choice } : {}), groups, pending };
  }

  private async automaticThreshold(model: string): Promise<ThresholdChoice> {
    const cached = this.choices.get(model);
    if (cached && this.now() - cached.at < this.choiceTtlMs) return cached.choice;
    const choice = chooseDuplicateThreshold(await this.store.nearestScores(model));
    this.choices.set(model, { choice, at: this.now() });
    return choice;
  }
}

/** Runs `refresh` every `intervalMs` until stopped; failures are reported and retried next time. */
export function startLinksRefresher(options: {
  links: DuplicateLinks;
  model: () => Promise<string | undefined>;
  intervalMs: number;
  onError: (error: unknown) => void;
  onRefreshed?: (count: number) => void;
}): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = (): void => {
    running = (async () => {
      try {
        const model = await options.model();
        if (model !== undefined) {
          const count = await options.links.refresh(model, 1_000);
          if (count > 0) options.onRefreshed?.(count);
        }
      } catch (error) {
        options.onError(error);
      }
    })().finally(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(tick, options.intervalMs);
    });
  };
  timer = setTimeout(tick, 0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
