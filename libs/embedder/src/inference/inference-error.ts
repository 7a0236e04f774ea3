import { EmbedderError } from '../errors';
import { ThreadRequestError } from './inference-client';

/** What a failed request to the session thread means to a caller: a named EmbedderError where one fits. */
export function inferenceError(error: unknown, provider: string): Error {
  if (error instanceof EmbedderError) return error;
  if (error instanceof ThreadRequestError) {
    if (error.serialized.code === 'TEXT_MODEL_UNAVAILABLE') {
      return new EmbedderError('TEXT_MODEL_UNAVAILABLE', error.message, {
        hint: 'Use a model export that includes onnx/text_model.onnx and its tokenizer.',
      });
    }
    return new EmbedderError('INFERENCE_FAILED', `Inference failed on ${provider}: ${error.message}`, {
      hint: 'If this repeats, check the model files (npx vectorizer model verify) and the device.',
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}
