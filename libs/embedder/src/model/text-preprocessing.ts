import { join } from 'node:path';
import { EmbedderError } from '../errors';
import { CONFIG_FILE, TOKENIZER_CONFIG_FILE } from './model-files';
import { readJsonFile, summarizeModelConfig } from './model-config';

/**
 * How a text query becomes the text tower's input_ids, read from the model's own files. SigLIP (1
 * and 2) was trained on texts padded to a fixed length and pools the last position, so the length,
 * the pad token and the case all change the embedding.
 */
export interface TextPreprocessing {
  /** Every query is padded (or truncated, keeping the special tokens) to this many tokens. */
  maxLength: number;
  /** The token padding is made of; its id comes from the model's tokenizer. */
  padToken: string;
  paddingSide: 'right' | 'left';
  /** Lower-case the text before tokenizing (SigLIP 2's Gemma tokenizer keeps case; the model was trained lowercased). */
  lowercase: boolean;
  /** Which file and field decided each value, for `model info` and error messages. */
  sources: { maxLength: string; padToken: string; lowercase: string };
}

type Json = Record<string, unknown>;

function section(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/** A special token as tokenizer_config.json writes it: a string, or an AddedToken object with `content`. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  const content = section(value)?.content;
  return typeof content === 'string' && content !== '' ? content : undefined;
}

/** transformers' tokenizer_config.json model_max_length for "no limit" is 1e30; anything that large says nothing. */
const MEANINGFUL_MODEL_MAX_LENGTH = 1_000_000;

/** Tokenizer classes of SigLIP 2 exports: Gemma's (FixRes checkpoints) or transformers' Siglip2Tokenizer. */
function isSiglip2Tokenizer(tokenizerClass: unknown): boolean {
  return (
    typeof tokenizerClass === 'string' && /^(Gemma|Siglip2)Tokenizer(Fast)?$/.test(tokenizerClass.replace(/\s/g, ''))
  );
}

/**
 * Decides the text preprocessing from config.json and tokenizer_config.json:
 * - length: config.json text_config.max_position_embeddings (the position table is the hard limit;
 *   transformers' class default when an export leaves it out), else a finite model_max_length;
 * - pad token: tokenizer_config.json pad_token (SigLIP 1: `</s>`, SigLIP 2: `<pad>`), else
 *   eos_token, the fallback transformers.js uses; config.json's text_config.pad_token_id is not
 *   used: SigLIP 2 configs leave it at the class default 1, which is Gemma's `<eos>`, not what the
 *   processor pads with;
 * - lower-casing: tokenizer_config.json do_lower_case, or a SigLIP 2 tokenizer (Gemma /
 *   Siglip2Tokenizer): SigLIP 2 was trained on lowercased text, which transformers' Siglip2Tokenizer
 *   applies and its Gemma tokenizer.json does not.
 */
export function summarizeTextPreprocessing(configJson: unknown, tokenizerConfigJson: unknown): TextPreprocessing {
  const tokenizerConfig = section(tokenizerConfigJson) ?? {};
  const { textMaxLength } = summarizeModelConfig(configJson, CONFIG_FILE);
  const modelMaxLength = tokenizerConfig.model_max_length;
  let maxLength: number;
  let maxLengthSource: string;
  if (textMaxLength !== undefined) {
    maxLength = textMaxLength;
    maxLengthSource = 'config.json text_config.max_position_embeddings (or its transformers default)';
  } else if (
    typeof modelMaxLength === 'number' &&
    Number.isInteger(modelMaxLength) &&
    modelMaxLength > 0 &&
    modelMaxLength <= MEANINGFUL_MODEL_MAX_LENGTH
  ) {
    maxLength = modelMaxLength;
    maxLengthSource = 'tokenizer_config.json model_max_length';
  } else {
    throw new EmbedderError(
      'MODEL_CONFIG_INVALID',
      'The text length is unknown: config.json has no text_config.max_position_embeddings and tokenizer_config.json no finite model_max_length',
      {
        hint: 'Use a SigLIP export whose config.json has a text_config (model_type siglip_text_model), or add text_config.max_position_embeddings.',
      },
    );
  }

  const pad = tokenContent(tokenizerConfig.pad_token);
  const eos = tokenContent(tokenizerConfig.eos_token);
  const padToken = pad ?? eos;
  if (!padToken) {
    throw new EmbedderError(
      'MODEL_CONFIG_INVALID',
      'tokenizer_config.json names neither a pad_token nor an eos_token to pad text queries with',
      { hint: 'Re-download the model; its tokenizer_config.json is incomplete.' },
    );
  }

  const paddingSide = tokenizerConfig.padding_side === 'left' ? 'left' : 'right';
  const lowerCaseFlag = tokenizerConfig.do_lower_case === true;
  const siglip2 = isSiglip2Tokenizer(tokenizerConfig.tokenizer_class);
  return {
    maxLength,
    padToken,
    paddingSide,
    lowercase: lowerCaseFlag || siglip2,
    sources: {
      maxLength: maxLengthSource,
      padToken: pad ? 'tokenizer_config.json pad_token' : 'tokenizer_config.json eos_token (no pad_token)',
      lowercase: lowerCaseFlag
        ? 'tokenizer_config.json do_lower_case'
        : siglip2
          ? `SigLIP 2 tokenizer (${String(tokenizerConfig.tokenizer_class)}): trained on lowercased text`
          : 'case kept (no do_lower_case)',
    },
  };
}

export async function readTextPreprocessing(dir: string): Promise<TextPreprocessing> {
  const [config, tokenizerConfig] = await Promise.all([
    readJsonFile(join(dir, CONFIG_FILE), 'config.json'),
    readJsonFile(join(dir, TOKENIZER_CONFIG_FILE), 'tokenizer_config.json'),
  ]);
  return summarizeTextPreprocessing(config, tokenizerConfig);
}
