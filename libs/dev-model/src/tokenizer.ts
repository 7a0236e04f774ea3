import { LETTERS_AND_DIGITS, WORD_BOUNDARY, appendEosPostProcessor, specialTokenEntries } from './tokenizer-parts';
import { DEV_VOCABULARY_SUFFIXES, DEV_VOCABULARY_WORDS } from './vocabulary';

/** SigLIP's text length: every text is padded (with `</s>`) or truncated to 64 tokens. */
export const TEXT_MAX_LENGTH = 64;

const PAD = '<pad>';
const EOS = '</s>';
const UNK = '<unk>';
/** Same ids as SigLIP's SentencePiece model: <pad>=0, </s>=1, <unk>=2. */
const SPECIAL_TOKENS = [PAD, EOS, UNK] as const;
const EOS_ID = 1;
const UNK_ID = 2;

// Unigram log-probabilities: a whole word always beats spelling it out, a suffix beats a letter.
const WORD_SCORE = -8;
const SUFFIX_SCORE = -10;
const WORD_INITIAL_CHAR_SCORE = -12;
const CHAR_SCORE = -13;
const BOUNDARY_SCORE = -14;

/** Python's string.punctuation, which SigLIP's tokenizer strips before tokenizing. */
const PUNCTUATION_CLASS = '[!"#$%&\'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~]';

export interface DevTokenizerFiles {
  'tokenizer.json': unknown;
  'tokenizer_config.json': unknown;
  'special_tokens_map.json': unknown;
}

/** The Unigram vocabulary as [piece, score] pairs, specials first. Deterministic. */
export function devVocabulary(): [string, number][] {
  const pieces = new Map<string, number>();
  const add = (piece: string, score: number) => {
    if (!pieces.has(piece)) pieces.set(piece, score);
  };
  for (const token of SPECIAL_TOKENS) add(token, 0);
  for (const word of DEV_VOCABULARY_WORDS) add(WORD_BOUNDARY + word, WORD_SCORE);
  for (const suffix of DEV_VOCABULARY_SUFFIXES) add(suffix, SUFFIX_SCORE);
  for (const char of LETTERS_AND_DIGITS) add(WORD_BOUNDARY + char, WORD_INITIAL_CHAR_SCORE);
  for (const char of LETTERS_AND_DIGITS) add(char, CHAR_SCORE);
  add(WORD_BOUNDARY, BOUNDARY_SCORE);
  return [...pieces.entries()];
}

/**
 * The tokenizer files of a SigLIP-style SentencePiece Unigram tokenizer, as Hugging Face's fast
 * tokenizer writes them: punctuation stripped, lowercased, whitespace collapsed, `▁` word
 * boundaries, `</s>` appended and used as the pad token, model_max_length 64.
 */
export function devTokenizerFiles(): DevTokenizerFiles {
  const vocab = devVocabulary();
  const specialTokens = specialTokenEntries(SPECIAL_TOKENS);
  const metaspace = { type: 'Metaspace', replacement: WORD_BOUNDARY, prepend_scheme: 'always', split: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.added,
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Replace', pattern: { Regex: PUNCTUATION_CLASS }, content: '' },
        { type: 'Lowercase' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Strip', strip_left: true, strip_right: true },
      ],
    },
    pre_tokenizer: metaspace,
    post_processor: appendEosPostProcessor(EOS, EOS_ID, 0),
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: UNK_ID, vocab, byte_fallback: false },
  };
  const tokenizerConfig = {
    added_tokens_decoder: specialTokens.decoder,
    additional_special_tokens: [],
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    eos_token: EOS,
    model_input_names: ['input_ids'],
    model_max_length: TEXT_MAX_LENGTH,
    pad_token: EOS,
    padding_side: 'right',
    processor_class: 'SiglipProcessor',
    tokenizer_class: 'SiglipTokenizer',
    unk_token: UNK,
  };
  const specialTokensMap = { eos_token: EOS, pad_token: EOS, unk_token: UNK };
  return {
    'tokenizer.json': tokenizer,
    'tokenizer_config.json': tokenizerConfig,
    'special_tokens_map.json': specialTokensMap,
  };
}

export const DEV_TOKENIZER_PAD_ID = EOS_ID;
export const DEV_TOKENIZER_EOS_ID = EOS_ID;
