import type { Config } from '@vectorizer/config';
import { VectorizerError } from '@vectorizer/errors';

/**
 * Production never runs the generated dev model by accident: its weights are random, so every
 * embedding it writes and every search it answers is meaningless. ALLOW_DEV_MODEL=true is the
 * explicit opt-in (a staging stack without model files, a demo).
 */
export function assertDevModelAllowed(
  config: Pick<Config, 'NODE_ENV' | 'ALLOW_DEV_MODEL'>,
  model: { isDevModel: boolean; id: string },
): void {
  if (!model.isDevModel || config.NODE_ENV !== 'production' || config.ALLOW_DEV_MODEL) return;
  throw new VectorizerError(
    'DEV_MODEL_IN_PRODUCTION',
    `NODE_ENV=production but the model is the generated dev model ${model.id} (random weights, meaningless embeddings)`,
    {
      hint:
        'Set MODEL_DIR to a SigLIP ONNX export or MODEL_ID to a downloaded one (`vectorizer model download`); ' +
        'to run the dev model anyway, set ALLOW_DEV_MODEL=true.',
    },
  );
}
