import { describeError } from '@vectorizer/errors';
import { ModelCoverageIncompleteError, PgvectorMissingError, ProductNotFoundError } from './errors';

describe('store errors', () => {
  it('PGVECTOR_MISSING points at the installer script and the pgvector Docker image', () => {
    const described = describeError(new PgvectorMissingError(new Error('could not open extension control file')));
    expect(described).toMatchObject({ type: 'PgvectorMissingError', code: 'PGVECTOR_MISSING' });
    expect(described.hint).toContain('infra/scripts/ensure-pgvector.sh');
    expect(described.hint).toContain('pgvector/pgvector');
    expect(described.cause).toContain('could not open extension control file');
  });

  it('MODEL_COVERAGE_INCOMPLETE gives the coverage and both ways forward', () => {
    const error = new ModelCoverageIncompleteError('m2', 999, 1000);
    expect(error.message).toBe('Model "m2" has embedded 999 of 1000 products (99.9%); searches would miss the rest');
    expect(error.hint).toMatch(/enqueue --all.*--force/);
  });

  it('PRODUCT_NOT_FOUND quotes the id', () => {
    expect(new ProductNotFoundError('sku "1"').message).toBe('Product "sku \\"1\\"" does not exist');
  });
});
