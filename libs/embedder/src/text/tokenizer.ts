/**
 * Turns text queries into the text tower's inputs with the model's own tokenizer.json
 * (transformers.js AutoTokenizer, local files only: workers never download). Runs inside the
 * session thread, so imports stay relative and onnxruntime-node is the thread's own copy.
 */
import * as ort from 'onnxruntime-node';

interface EncodedTensor {
  data: BigInt64Array;
  dims: number[];
}

export type TextFeeds = Record<string, ort.Tensor>;

export async function loadTokenizer(opts: {
  modelDir: string;
  /** config.json's text_config.max_position_embeddings; the tokenizer's model_max_length otherwise. */
  maxLength?: number;
  /** The text graph's input names: attention_mask is fed only when the graph takes it. */
  inputNames: readonly string[];
}): Promise<(texts: string[]) => Promise<TextFeeds>> {
  // Imported on first use: image-only processes never pay for transformers.js.
  const { AutoTokenizer } = await import('@huggingface/transformers');
  const tokenizer = await AutoTokenizer.from_pretrained(opts.modelDir, { local_files_only: true });
  const maxLength = opts.maxLength ?? (tokenizer as unknown as { model_max_length?: number }).model_max_length;
  return async (texts) => {
    // SigLIP was trained on queries padded to max_length; padding to the longest changes the embedding.
    const encoded = (await tokenizer(texts, {
      padding: 'max_length',
      truncation: true,
      max_length: maxLength,
    })) as unknown as {
      input_ids: EncodedTensor;
      attention_mask?: EncodedTensor;
    };
    const feeds: TextFeeds = { input_ids: new ort.Tensor('int64', encoded.input_ids.data, encoded.input_ids.dims) };
    if (opts.inputNames.includes('attention_mask') && encoded.attention_mask) {
      feeds.attention_mask = new ort.Tensor('int64', encoded.attention_mask.data, encoded.attention_mask.dims);
    }
    return feeds;
  };
}
