import { DEFAULT_K, parseK, parseThreshold } from './search-input';

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
});
