import { requiredModelFiles, verifyModel, type ResolvedModel } from '@vectorizer/embedder';
import { type CheckResult, fail, ok, warn } from './check-result';

export interface ModelCheckOutcome {
  result: CheckResult;
  /** The resolved model when its files are present and verified; later checks need its id. */
  model?: ResolvedModel;
}

/**
 * Resolves the configured model with `resolve` (the way a worker does), then hashes every file
 * against its manifest. The embedder's errors carry the repair command, which becomes the fix.
 */
export async function checkModel(resolve: () => Promise<ResolvedModel>): Promise<ModelCheckOutcome> {
  const name = 'model';
  let model: ResolvedModel;
  try {
    model = await resolve();
  } catch (error) {
    return { result: modelFailure(name, error) };
  }
  const requiredFiles = requiredModelFiles(model, { text: model.textModelPath !== undefined });
  try {
    const verified = await verifyModel({ dir: model.dir, requiredFiles, source: model.source, hashPolicy: 'always' });
    const how = verified.hasManifest
      ? `${verified.files.length} file(s) match the manifest's sha256`
      : 'no manifest: files present, not hashed';
    const detail = `${model.id} in ${model.dir}: dimension ${model.dimension}, dtype ${model.dtype}, ${
      model.textModelPath ? 'vision + text towers' : 'vision tower only (no text search)'
    }; ${how}`;
    if (model.isDevModel) {
      return {
        model,
        result: warn(
          name,
          `${detail} — the generated dev model has random weights: its embeddings mean nothing`,
          'Set MODEL_ID (then `npx vectorizer model download <id>`) or MODEL_DIR for real embeddings.',
        ),
      };
    }
    return { model, result: ok(name, detail) };
  } catch (error) {
    return { result: modelFailure(name, error) };
  }
}

function modelFailure(name: string, error: unknown): CheckResult {
  const withHint = error as { message?: string; hint?: string; code?: string };
  const message = withHint.message ?? String(error);
  return fail(
    name,
    withHint.code ? `${withHint.code}: ${message}` : message,
    withHint.hint ?? 'Check MODEL_DIR / MODEL_ID.',
  );
}

/**
 * What searches need, without hashing any file (readiness runs often): the configured model
 * resolves, with its text tower for text search. A missing text tower or a dev model is a WARN:
 * image search still works.
 */
export async function checkSearchModel(resolve: () => Promise<ResolvedModel>): Promise<CheckResult> {
  const name = 'model';
  let model: ResolvedModel;
  try {
    model = await resolve();
  } catch (error) {
    return modelFailure(name, error);
  }
  const detail = `${model.id}: dimension ${model.dimension}, image search${
    model.textModelPath ? ' and text search' : ''
  }`;
  if (!model.textModelPath)
    return warn(
      name,
      `${detail}; no text tower: text search answers 501`,
      'Use a model export with onnx/text_model.onnx and its tokenizer for text search.',
    );
  if (model.isDevModel)
    return warn(
      name,
      `${detail} — the generated dev model has random weights: results mean nothing`,
      'Set MODEL_ID or MODEL_DIR to a real SigLIP export.',
    );
  return ok(name, detail);
}
