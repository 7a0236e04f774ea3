import { DEFAULT_K, MAX_QUERY_LENGTH, SearchInput, parseK, parseThreshold } from './search-input';

describe('search input', () => {
  it('parses k: absent is 10, the last of repeated values counts, 1..maxK only, named as the caller spells it', () => {
    expect(parseK(undefined, 100)).toBe(DEFAULT_K);
    expect(parseK('', 5)).toBe(5);
    expect(parseK(['3', '7'], 100)).toBe(7);
    expect(() => parseK('0', 100)).toThrow('k must be a whole number from 1 to 100, got "0"');
    expect(() => parseK('2.5', 100, '-k')).toThrow('-k must be a whole number from 1 to 100');
    expect(() => parseK('101', 100)).toThrow(expect.objectContaining({ code: 'SEARCH_INPUT_INVALID' }));
  });

  it('parses the duplicates threshold: auto by default, else a similarity in (0, 1]', () => {
    expect(parseThreshold(undefined)).toBe('auto');
    expect(parseThreshold('auto')).toBe('auto');
    expect(parseThreshold('0.97')).toBe(0.97);
    expect(() => parseThreshold('0')).toThrow('threshold must be a cosine similarity in (0, 1] or auto');
    expect(() => parseThreshold('1.5', '--threshold')).toThrow(
      expect.objectContaining({ hint: expect.stringContaining('--threshold 0.97') }),
    );
  });

  it("reads every caller's parameters by one set of rules: k up to SEARCH_MAX_K, link k up to 10, text, filters", () => {
    const input = new SearchInput(50);
    expect(input.k('50')).toBe(50);
    expect(() => input.k('51', '-k')).toThrow('-k must be a whole number from 1 to 50');
    expect(() => input.linkK('11')).toThrow('k must be a whole number from 1 to 10');
    expect(input.text(['a', '  red shoes '])).toBe('red shoes');
    expect(() => input.text('  ')).toThrow('q is required');
    expect(() => input.text('x'.repeat(MAX_QUERY_LENGTH + 1))).toThrow(`at most ${MAX_QUERY_LENGTH} are accepted`);
    expect(input.filter('{"category":"shoes"}', '--filter')).toEqual({ category: 'shoes' });
    expect(() => input.filter('[1]', '--filter')).toThrow('--filter must be a JSON object');
    expect(input.filterParams({ filter: ['{}', '{"size":42}'] })).toEqual({ size: 42 });
    expect(input.filterParams({})).toBeUndefined();
    expect(() => input.filterParams({ 'filter[category]': 'shoes' })).toThrow(
      expect.objectContaining({ code: 'SEARCH_FILTER_INVALID' }),
    );
  });
});
