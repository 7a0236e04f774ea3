import { detectFormat } from './catalog-reader';
import { parseJsonRecord, toProduct } from './catalog-record';

describe('toProduct', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['no id', { image_url: 'https://x.example/a.jpg' }, 'missing "id"'],
    ['blank id', { id: '  ', image_url: 'https://x.example/a.jpg' }, 'missing "id"'],
    ['no image_url', { id: 'p1' }, 'product p1: missing "image_url"'],
    ['relative URL', { id: 'p1', image_url: '/img/a.jpg' }, 'product p1: "image_url" is not a URL: "/img/a.jpg"'],
    [
      'data URL',
      { id: 'p1', image_url: 'data:image/png;base64,AAAA' },
      'product p1: "image_url" must be http(s) or file, got data:',
    ],
    [
      'numeric title',
      { id: 'p1', image_url: 'https://x.example/a.jpg', title: 5 },
      'product p1: "title" must be a string',
    ],
  ])('rejects %s', (_, fields, reason) => {
    expect(toProduct(fields)).toEqual({ ok: false, reason });
  });

  it('keeps id, URL and title, and puts every other field into attributes', () => {
    expect(
      toProduct({ id: 7, image_url: ' https://x.example/a.jpg ', title: 'Lamp', brand: 'Acme', tags: ['a'] }),
    ).toEqual({
      ok: true,
      product: {
        id: '7',
        imageUrl: 'https://x.example/a.jpg',
        title: 'Lamp',
        attributes: { brand: 'Acme', tags: ['a'] },
      },
    });
    expect(toProduct({ id: 'p', image_url: 'file:///srv/img/a.jpg', title: '' })).toEqual({
      ok: true,
      product: { id: 'p', imageUrl: 'file:///srv/img/a.jpg', title: null, attributes: null },
    });
  });
});

describe('an "attributes" field', () => {
  it('is the attributes when it is an object (the HTTP shape), merged with the other extra fields', () => {
    expect(
      toProduct({ id: 'p', image_url: 'https://x.example/a.jpg', attributes: { color: 'red' }, size: 41 }),
    ).toMatchObject({ ok: true, product: { attributes: { color: 'red', size: 41 } } });
  });

  it('stays one attribute named "attributes" when it is not an object (a CSV column)', () => {
    expect(toProduct({ id: 'p', image_url: 'https://x.example/a.jpg', attributes: 'wool' })).toMatchObject({
      ok: true,
      product: { attributes: { attributes: 'wool' } },
    });
  });
});

describe('parseJsonRecord', () => {
  it('names invalid JSON and a value that is not an object', () => {
    expect(parseJsonRecord('{"id": ')).toMatchObject({ ok: false, reason: expect.stringContaining('invalid JSON') });
    expect(parseJsonRecord('[1]')).toEqual({ ok: false, reason: 'expected a JSON object' });
    expect(parseJsonRecord('{"id": "p", "image_url": "https://x.example/a.jpg"}')).toMatchObject({ ok: true });
  });
});

describe('detectFormat', () => {
  it.each<[string, string | undefined, string]>([
    ['catalog.csv', '{', 'csv'],
    ['catalog.JSONL', 'i', 'jsonl'],
    ['catalog.ndjson', undefined, 'jsonl'],
    ['export.txt', '{', 'jsonl'],
    ['export.txt', 'i', 'csv'],
  ])('%s starting with %j is %s', (file, firstByte, format) => {
    expect(detectFormat(file, firstByte)).toBe(format);
  });
});
