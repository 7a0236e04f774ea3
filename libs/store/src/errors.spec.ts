import { describeError } from '@vectorizer/errors';
import { EmbeddingDimensionMismatchError, PgvectorMissingError, ProductNotFoundError } from './errors';

describe('store errors', () => {
  it('PGVECTOR_MISSING points at the installer script and the pgvector Docker image', () => {
    const described = describeError(new PgvectorMissingError(new Error('could not open extension control file')));
    expect(described).toMatchObject({ type: 'PgvectorMissingError', code: 'PGVECTOR_MISSING' });
    expect(described.hint).toContain('infra/scripts/ensure-pgvector.sh');
    expect(described.hint).toContain('pgvector/pgvector');
    expect(described.cause).toContain('could not open extension control file');
  });

  it('EMBEDDING_DIMENSION_MISMATCH names both dimensions and both follow-up commands', () => {
    const error = new EmbeddingDimensionMismatchError(768, 1152);
    expect(error.message).toBe(
      'product_embeddings.embedding_visual is bound to 768 dimensions, but the configured model produces 1152-dimensional embeddings',
    );
    expect(error.hint).toMatch(/npx vectorizer migrate --reembed.*npx vectorizer enqueue --all/);
  });

  it('PRODUCT_NOT_FOUND quotes the id', () => {
    expect(new ProductNotFoundError('sku "1"').message).toBe('Product "sku \\"1\\"" does not exist');
  });
});
