import { InvalidJobPayloadError } from './errors';
import { jobIdFor, parseJobPayload } from './job-payload';

describe('jobIdFor', () => {
  it('is deterministic and changes with each of product, image and model', () => {
    const base = jobIdFor('p1', 'https://cdn.example/a.jpg', 'm1');
    expect(jobIdFor('p1', 'https://cdn.example/a.jpg', 'm1')).toBe(base);
    expect(
      new Set([
        base,
        jobIdFor('p2', 'https://cdn.example/a.jpg', 'm1'),
        jobIdFor('p1', 'https://cdn.example/b.jpg', 'm1'),
        jobIdFor('p1', 'https://cdn.example/a.jpg', 'm2'),
      ]).size,
    ).toBe(4);
  });

  it('cannot be confused by separators inside fields', () => {
    expect(jobIdFor('a|b', 'c', 'm')).not.toBe(jobIdFor('a', 'b|c', 'm'));
  });

  it('is a BullMQ-safe id (no colon, not an integer)', () => {
    const id = jobIdFor('p:1', 'https://x:8080/a.jpg', 'org/model:v1');
    expect(id).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('parseJobPayload', () => {
  it('accepts a valid payload', () => {
    const payload = {
      productId: 'p1',
      imageUrl: 'https://x/a.jpg',
      model: 'm',
      enqueuedAt: '2026-01-01T00:00:00.000Z',
    };
    expect(parseJobPayload(payload)).toEqual(payload);
  });

  it.each([
    [{ imageUrl: 'https://x/a.jpg', model: 'm', enqueuedAt: '2026-01-01T00:00:00.000Z' }, 'productId'],
    [{ productId: 'p', imageUrl: '', model: 'm', enqueuedAt: '2026-01-01T00:00:00.000Z' }, 'imageUrl'],
    [{ productId: 'p', imageUrl: 'https://x/a.jpg', model: 'm', enqueuedAt: 'yesterday' }, 'enqueuedAt'],
  ])('rejects %j naming %s', (data, field) => {
    expect(() => parseJobPayload(data)).toThrow(InvalidJobPayloadError);
    expect(() => parseJobPayload(data)).toThrow(field);
  });
});
