import type { NeighbourLink, PendingLinks } from '@vectorizer/store';
import { DuplicateLinks, type LinksStore } from './duplicate-links';

/** Pending products until their links are saved, as product_links_pending keeps them; counts the work done. */
function pendingStore(productIds: string[]) {
  const pending = new Map(productIds.map((productId) => [productId, { productId, queuedAt: '2026-01-01 00:00:00' }]));
  const calls = { pending: 0, saveMany: 0 };
  const store: LinksStore = {
    async pending(_model: string, limit: number): Promise<PendingLinks[]> {
      calls.pending += 1;
      return [...pending.values()].slice(0, limit);
    },
    async countPending() {
      return pending.size;
    },
    async saveMany(_model: string, entries: readonly { pending: PendingLinks; links: readonly NeighbourLink[] }[]) {
      calls.saveMany += 1;
      // The links' transaction commits after a while: a second refresh meanwhile sees them still pending.
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const entry of entries) pending.delete(entry.pending.productId);
      return entries.length;
    },
    async nearestScores() {
      return [];
    },
    async linksAtLeast() {
      return [];
    },
    async describe() {
      return new Map();
    },
  };
  return { store, calls };
}

describe('DuplicateLinks.refresh', () => {
  it('runs once for two concurrent callers of one model (the page visit waits for the background refresh)', async () => {
    const { store, calls } = pendingStore(['a', 'b', 'c']);
    const searched: string[] = [];
    const links = new DuplicateLinks(store, async (query) => {
      searched.push((query as { productId: string }).productId);
      return [];
    });

    const [background, visit] = await Promise.all([links.refresh('m', 1_000), links.refresh('m', 200)]);

    expect(searched.sort()).toEqual(['a', 'b', 'c']);
    expect(calls).toEqual({ pending: 1, saveMany: 1 });
    expect(background).toBe(3);
    expect(visit).toBe(3);
  });

  it('refreshes again once the running refresh has finished, and models independently', async () => {
    const { store, calls } = pendingStore(['a']);
    const links = new DuplicateLinks(store, async () => []);

    await Promise.all([links.refresh('m'), links.refresh('other')]);
    expect(calls.pending).toBe(2);
    expect(await links.refresh('m')).toBe(0);
    expect(calls.pending).toBe(3);
  });
});
