import type { Config } from '@vectorizer/config';
import type { ResolveModelOptions } from './resolve-model';

/** The resolveModel options the MODEL_* settings ask for; `modelDir` (a CLI flag) wins over MODEL_DIR. */
export function resolveOptionsFromConfig(config: Config, modelDir?: string): ResolveModelOptions {
  return {
    modelDir: modelDir ?? config.MODEL_DIR,
    modelId: config.MODEL_ID,
    hfHome: config.HF_HOME,
    dtype: config.MODEL_DTYPE,
    devModelSize: config.DEV_MODEL_SIZE,
  };
}
