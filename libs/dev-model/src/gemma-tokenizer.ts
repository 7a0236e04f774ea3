import { LETTERS_AND_DIGITS, WORD_BOUNDARY, appendEosPostProcessor, specialTokenEntries } from './tokenizer-parts';
import { DEV_VOCABULARY_WORDS } from './vocabulary';

/**
 * The tokenizer files of a SigLIP 2 (FixRes) export, in miniature: Gemma's layout as
 * GemmaTokenizerFast saves it for google/siglip2-* — a byte-fallback BPE model, spaces turned into
 * `▁` by the normalizer (no dummy prefix, so the first word has no `▁`), no BOS, one `<eos>`
 * appended, `<pad>` (id 0) as the pad token, and a model_max_length that says nothing (Gemma's
 * 1e30): the 64-token text length lives only in the model config. Case is kept by the tokenizer;
 * SigLIP 2 was trained on lowercased text, which the embedder applies.
 */

const PAD = '<pad>';
const EOS = '<eos>';
const BOS = '<bos>';
const UNK = '<unk>';
const MASK = '<mask>';
/** Gemma's own ids: <pad>=0, <eos>=1, <bos>=2, <unk>=3, <mask>=4. */
const SPECIAL_TOKENS = [PAD, EOS, BOS, UNK, MASK] as const;
export const GEMMA_DEV_EOS_ID = 1;
/** Byte tokens `<0x00>`…`<0xFF>` follow the specials: byte b has id GEMMA_DEV_BYTE_OFFSET + b. */
export const GEMMA_DEV_BYTE_OFFSET = SPECIAL_TOKENS.length;
/** Gemma's tokenizer_config.json model_max_length (no limit of its own). */
const GEMMA_MODEL_MAX_LENGTH = 1e30;

const byteToken = (byte: number) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;

/**
 * Vocabulary and merges: specials, the 256 byte tokens, `▁` and single letters/digits, then every
 * prefix of each dev word with and without `▁`. Merges grow each word left to right; all `▁`-word
 * merges rank before the bare-word ones, so inside a sentence a word always merges with its `▁`.
 */
export function gemmaDevVocabulary(): { vocab: Record<string, number>; merges: [string, string][] } {
  const vocab: Record<string, number> = {};
  const add = (token: string) => {
    if (!(token in vocab)) vocab[token] = Object.keys(vocab).length;
  };
  SPECIAL_TOKENS.forEach(add);
  for (let byte = 0; byte < 256; byte += 1) add(byteToken(byte));
  add(WORD_BOUNDARY);
  LETTERS_AND_DIGITS.forEach(add);

  const merges: [string, string][] = [];
  const seen = new Set<string>();
  const chain = (word: string) => {
    const chars = [...word];
    let prefix = chars[0];
    for (const char of chars.slice(1)) {
      const key = `${prefix} ${char}`;
      if (!seen.has(key)) {
        seen.add(key);
        merges.push([prefix, char]);
      }
      prefix += char;
      add(prefix);
    }
  };
  const words = DEV_VOCABULARY_WORDS.filter((word) => /^[a-z0-9]+$/.test(word));
  for (const word of words) chain(WORD_BOUNDARY + word);
  for (const word of words) chain(word);
  return { vocab, merges };
}

export interface GemmaDevTokenizerFiles {
  'tokenizer.json': unknown;
  'tokenizer_config.json': unknown;
  'special_tokens_map.json': unknown;
}

export function gemmaDevTokenizerFiles(): GemmaDevTokenizerFiles {
  const { vocab, merges } = gemmaDevVocabulary();
  const specialTokens = specialTokenEntries(SPECIAL_TOKENS);
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.added,
    normalizer: { type: 'Replace', pattern: { String: ' ' }, content: WORD_BOUNDARY },
    pre_tokenizer: null,
    // GemmaTokenizerFast(add_bos_token=False, add_eos_token=True), as the SigLIP 2 conversion makes it.
    post_processor: appendEosPostProcessor(EOS, GEMMA_DEV_EOS_ID, 1),
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: WORD_BOUNDARY }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: UNK,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const tokenizerConfig = {
    add_bos_token: false,
    add_eos_token: true,
    added_tokens_decoder: specialTokens.decoder,
    bos_token: BOS,
    clean_up_tokenization_spaces: false,
    eos_token: EOS,
    mask_token: MASK,
    model_input_names: ['input_ids'],
    model_max_length: GEMMA_MODEL_MAX_LENGTH,
    pad_token: PAD,
    padding_side: 'right',
    processor_class: 'SiglipProcessor',
    sp_model_kwargs: {},
    spaces_between_special_tokens: false,
    tokenizer_class: 'GemmaTokenizer',
    unk_token: UNK,
    use_default_system_prompt: false,
  };
  const specialTokensMap = { bos_token: BOS, eos_token: EOS, mask_token: MASK, pad_token: PAD, unk_token: UNK };
  return {
    'tokenizer.json': tokenizer,
    'tokenizer_config.json': tokenizerConfig,
    'special_tokens_map.json': specialTokensMap,
  };
}
