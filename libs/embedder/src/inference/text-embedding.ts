import { EmbedderError } from '../errors';
import type { ResolvedModel } from '../model/resolve-model';
import { onnxFileFor } from '../model/model-files';
import type { InferenceClient } from './inference-client';
import { inferenceError } from './inference-error';
import { splitRows } from './split-rows';

/** Embeds text queries with the model's text tower (the session thread loads it on first use). */
export async function embedTexts(
  client: InferenceClient,
  model: ResolvedModel,
  texts: string[],
): Promise<Float32Array[]> {
  if (!model.textModelPath) {
    throw new EmbedderError('TEXT_MODEL_UNAVAILABLE', `${model.id} has no text tower in ${model.dir}`, {
      hint: `Text search needs ${model.dir}/${onnxFileFor('text_model', model.dtype)} plus tokenizer.json and tokenizer_config.json.`,
    });
  }
  if (texts.length === 0) return [];
  try {
    const { embeddings, dimension } = await client.embedTexts(texts);
    if (dimension !== model.dimension) {
      throw new EmbedderError(
        'MODEL_DIMENSION_MISMATCH',
        `${model.textModelPath} returns ${dimension}-d embeddings but the image embeddings are ${model.dimension}-d`,
        { hint: 'The text and vision towers come from different models; re-download the model as one set.' },
      );
    }
    return splitRows(embeddings, dimension);
  } catch (error) {
    throw inferenceError(error, client.session.provider);
  }
}
