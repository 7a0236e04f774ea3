/**
 * Turns text queries into the text tower's inputs with the model's own tokenizer.json
 * (transformers.js AutoTokenizer, local files only: workers never download) and the preprocessing
 * its config files ask for (model/text-preprocessing.ts). Runs inside the session thread, so
 * imports stay relative and onnxruntime-node is the thread's own copy.
 */
import * as ort from 'onnxruntime-node';
import type { TextPreprocessing } from '../model/text-preprocessing';

export type TextFeeds = Record<string, ort.Tensor>;

export interface EncodedTexts {
  /** One row per text, each exactly preprocessing.maxLength ids long. */
  inputIds: number[][];
  /** 1 for a real token, 0 for padding. */
  attentionMask: number[][];
}

interface LoadedTokenizer {
  convert_tokens_to_ids(token: string): number | undefined | null;
  (texts: string[], options: Record<string, unknown>): unknown;
}

/**
 * Loads the tokenizer and returns the encoder the text tower needs: lower-cased when the model says
 * so, special tokens as tokenizer.json's post-processor adds them (SigLIP: `</s>` appended; SigLIP
 * 2: `<eos>` appended, no `<bos>`), truncated to maxLength with the special tokens kept (as Hugging
 * Face's fast tokenizers truncate), then padded to maxLength with the model's own pad token.
 */
export async function loadTextEncoder(
  modelDir: string,
  preprocessing: TextPreprocessing,
): Promise<(texts: string[]) => Promise<EncodedTexts>> {
  // Imported on first use: image-only processes never pay for transformers.js.
  const { AutoTokenizer } = await import('@huggingface/transformers');
  const tokenizer = (await AutoTokenizer.from_pretrained(modelDir, {
    local_files_only: true,
  })) as unknown as LoadedTokenizer;
  const padId = tokenizer.convert_tokens_to_ids(preprocessing.padToken);
  if (typeof padId !== 'number') {
    throw new Error(
      `the pad token ${JSON.stringify(preprocessing.padToken)} (${preprocessing.sources.padToken}) is not in ${modelDir}/tokenizer.json`,
    );
  }
  const { maxLength } = preprocessing;
  const encode = (texts: string[], addSpecialTokens: boolean): number[][] => {
    const encoded = tokenizer(texts, {
      add_special_tokens: addSpecialTokens,
      padding: false,
      truncation: false,
      return_tensor: false,
    }) as { input_ids: number[][] };
    return encoded.input_ids;
  };
  return async (texts) => {
    const input = preprocessing.lowercase ? texts.map((text) => text.toLowerCase()) : texts;
    const withSpecials = encode(input, true);
    const inputIds: number[][] = [];
    const attentionMask: number[][] = [];
    withSpecials.forEach((ids, index) => {
      const tokens =
        ids.length > maxLength ? truncateKeepingSpecials(ids, encode([input[index]], false)[0], maxLength) : ids;
      const padding = new Array<number>(maxLength - tokens.length).fill(padId);
      const real = new Array<number>(tokens.length).fill(1);
      const none = new Array<number>(padding.length).fill(0);
      const left = preprocessing.paddingSide === 'left';
      inputIds.push(left ? [...padding, ...tokens] : [...tokens, ...padding]);
      attentionMask.push(left ? [...none, ...real] : [...real, ...none]);
    });
    return { inputIds, attentionMask };
  };
}

/**
 * `withSpecials` is prefix + content + suffix (the post-processor's template); keeps the prefix and
 * suffix and cuts the content so the whole fits in maxLength.
 */
function truncateKeepingSpecials(withSpecials: number[], content: number[], maxLength: number): number[] {
  const added = withSpecials.length - content.length;
  let prefixLength = 0;
  while (prefixLength < added && !content.every((id, i) => withSpecials[prefixLength + i] === id)) prefixLength += 1;
  const prefix = withSpecials.slice(0, prefixLength);
  const suffix = withSpecials.slice(prefixLength + content.length);
  return [...prefix, ...content.slice(0, Math.max(0, maxLength - added)), ...suffix].slice(0, maxLength);
}

/** The text tower's feeds: input_ids, and attention_mask only when the graph takes it (SigLIP's does not). */
export async function loadTokenizer(opts: {
  modelDir: string;
  preprocessing: TextPreprocessing;
  /** The text graph's input names. */
  inputNames: readonly string[];
}): Promise<(texts: string[]) => Promise<TextFeeds>> {
  const encodeTexts = await loadTextEncoder(opts.modelDir, opts.preprocessing);
  const toTensor = (rows: number[][]) =>
    new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, opts.preprocessing.maxLength]);
  return async (texts) => {
    const { inputIds, attentionMask } = await encodeTexts(texts);
    const feeds: TextFeeds = { input_ids: toTensor(inputIds) };
    if (opts.inputNames.includes('attention_mask')) feeds.attention_mask = toTensor(attentionMask);
    return feeds;
  };
}
