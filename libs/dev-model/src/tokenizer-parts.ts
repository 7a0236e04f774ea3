/** SentencePiece's marker for a preceding space, "▁", in both dev tokenizers' vocabularies. */
export const WORD_BOUNDARY = '\u2581';

export const LETTERS_AND_DIGITS = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');

/**
 * Special tokens whose ids are their positions in `tokens`: tokenizer.json's `added_tokens`, and
 * tokenizer_config.json's `added_tokens_decoder` (the same entries keyed by id).
 */
export function specialTokenEntries(tokens: readonly string[]) {
  const added = tokens.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  return { added, decoder: Object.fromEntries(added.map(({ id, ...token }) => [String(id), token])) };
}

/**
 * tokenizer.json's post-processor that appends `eos` to each sequence; the second sequence of a
 * pair gets token type `secondTypeId` (Gemma marks it 1, SigLIP's tokenizer 0).
 */
export function appendEosPostProcessor(eos: string, eosId: number, secondTypeId: 0 | 1) {
  return {
    type: 'TemplateProcessing',
    single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: eos, type_id: 0 } }],
    pair: [
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: eos, type_id: 0 } },
      { Sequence: { id: 'B', type_id: secondTypeId } },
      { SpecialToken: { id: eos, type_id: secondTypeId } },
    ],
    special_tokens: { [eos]: { id: eos, ids: [eosId], tokens: [eos] } },
  };
}
