import { DEFAULT_K, MAX_QUERY_LENGTH, SearchInput } from './search-input';

describe('search input', () => {
  it('parses k: absent is 10, the last of repeated values counts, 1..maxK only, named as the caller spells it', () => {
    expect(new SearchInput(100).k(undefined)).toBe(DEFAULT_K);
    expect(new SearchInput(5).k('')).toBe(5);
    expect(new SearchInput(100).k(['3', '7'])).toBe(7);
    expect(() => new SearchInput(100).k('0')).toThrow('k must be a whole number from 1 to 100, got "0"');
    expect(() => new SearchInput(100).k('2.5', '-k')).toThrow('-k must be a whole number from 1 to 100');
    expect(() => new SearchInput(100).k('101')).toThrow(expect.objectContaining({ code: 'SEARCH_INPUT_INVALID' }));
  });

  it("bounds k by the store's ceiling whatever SEARCH_MAX_K says, refusing a larger k as bad input", () => {
    const input = new SearchInput(5_000);
    expect(input.maxK).toBe(999);
    expect(input.k('999')).toBe(999);
    expect(() => input.k('1000')).toThrow(
      expect.objectContaining({
        code: 'SEARCH_INPUT_INVALID',
        message: 'k must be a whole number from 1 to 999, got "1000"',
      }),
    );
  });

  it('parses the duplicates threshold: auto by default, else a similarity in (0, 1]', () => {
    const input = new SearchInput(100);
    expect(input.threshold(undefined)).toBe('auto');
    expect(input.threshold('auto')).toBe('auto');
    expect(input.threshold('0.97')).toBe(0.97);
    expect(() => input.threshold('0')).toThrow('threshold must be a cosine similarity in (0, 1] or auto');
    expect(() => input.threshold('1.5', '--threshold')).toThrow(
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

  it('names the text parameter as the caller spells it: --text on the command line, with the same limits', () => {
    const input = new SearchInput(50);
    expect(input.text(' red shoes ', '--text')).toBe('red shoes');
    expect(() => input.text('   ', '--text')).toThrow(
      expect.objectContaining({
        code: 'SEARCH_INPUT_INVALID',
        message: '--text is required: the text to search for',
        hint: expect.stringContaining('--text "red running shoes"'),
      }),
    );
    expect(() => input.text('x'.repeat(MAX_QUERY_LENGTH + 1), '--text')).toThrow(
      `--text is ${MAX_QUERY_LENGTH + 1} characters long; at most ${MAX_QUERY_LENGTH} are accepted`,
    );
  });
});
