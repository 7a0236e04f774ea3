import { IDENTICAL_SIMILARITY, chooseDuplicateThreshold } from './duplicate-threshold';

describe('chooseDuplicateThreshold', () => {
  it('cuts in the widest gap at or above the median, not in the sparse lower tail', () => {
    // A dense bulk around 0.8, a lonely product at 0.3 (widest gap overall, but below the median),
    // and a duplicate cluster near 1.
    const bulk = Array.from({ length: 40 }, (_, i) => 0.78 + i * 0.001);
    const choice = chooseDuplicateThreshold([0.3, ...bulk, 0.985, 0.99, 0.995, 0.999]);
    expect(choice.rule).toBe('widest-gap');
    expect(choice.gap).toEqual({ below: bulk[39], above: 0.985 });
    expect(choice.threshold).toBeCloseTo((bulk[39] + 0.985) / 2, 10);
    expect(choice.productsAbove).toBe(4);
    expect(choice.distribution).toMatchObject({ count: 45, min: 0.3, max: 0.999 });
  });

  it('still finds the break when most of the catalog is duplicated (median inside the cluster)', () => {
    const choice = chooseDuplicateThreshold([0.6, 0.62, 0.65, 1, 1, 1, 1, 1, 1, 1]);
    expect(choice.gap).toEqual({ below: 0.65, above: 1 });
    expect(choice.productsAbove).toBe(7);
  });

  it('without any break keeps identical vectors only', () => {
    expect(chooseDuplicateThreshold([0.5, 0.5])).toMatchObject({
      rule: 'identical-only',
      threshold: IDENTICAL_SIMILARITY,
    });
    expect(chooseDuplicateThreshold([])).toMatchObject({ rule: 'identical-only', productsAbove: 0 });
  });
});
