import type { ModelDtype } from './model-files';

/** How a model directory came to be, which decides how to repair it. */
export type ModelSource =
  | { kind: 'hub'; modelId: string; dtype: ModelDtype }
  | { kind: 'dev'; dir: string; size: 'tiny' | 'base' }
  | { kind: 'local'; dir: string };

/** The exact command (or step) that puts a good copy of the model back; every model error's hint ends with it. */
export function repairHint(source: ModelSource): string {
  switch (source.kind) {
    case 'hub':
      return `re-download it: npx vectorizer model download ${source.modelId} --dtype ${source.dtype}`;
    case 'dev':
      return `regenerate it: rm -rf ${source.dir} && npx vectorizer model make-dev ${source.dir} --size ${source.size}`;
    case 'local':
      return `replace ${source.dir} with a complete copy of the model export (or set MODEL_ID and run npx vectorizer model download <id>)`;
  }
}
