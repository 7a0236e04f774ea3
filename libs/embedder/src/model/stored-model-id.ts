import type { ModelDtype } from './model-files';

/**
 * The id embeddings are stored under (product_embeddings.model): the model's own id for fp32, and
 * `<id>@<dtype>` for the other precisions (`google/siglip-base-patch16-224@fp16`). Vectors of one
 * model at two precisions differ slightly, so they never share rows; fp32 ids stay as they always
 * were, so existing rows remain valid.
 */
export function storedModelId(modelId: string, dtype: ModelDtype): string {
  return dtype === 'fp32' ? modelId : `${modelId}@${dtype}`;
}
