import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, PreTrainedTokenizer, env } from '@huggingface/transformers';
import { DEV_MODEL_SIZES } from './dev-model-sizes';
import { TEXT_MODEL_FILE, makeDevModel } from './make-dev-model';
import { readWeights, referenceText } from './siglip-reference.testing';
import { WorkerSession } from './worker-session.testing';

const spec = DEV_MODEL_SIZES.tiny;

describe('dev model tokenizer and text tower (tiny)', () => {
  let dir: string;
  let tokenizer: PreTrainedTokenizer;
  let session: WorkerSession;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dev-model-text-'));
    await makeDevModel({ dir, size: 'tiny' });
    env.allowRemoteModels = false;
    // An absolute path is not a Hub id, so transformers.js reads it directly (no localModelPath join).
    tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    session = await WorkerSession.create(join(dir, TEXT_MODEL_FILE));
  });

  afterAll(async () => {
    await session?.release();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads as a SigLIP tokenizer with </s> as eos and pad and a 64-token limit', () => {
    expect(tokenizer.constructor.name).toBe('SiglipTokenizer');
    expect(tokenizer.eos_token).toBe('</s>');
    expect(tokenizer.pad_token).toBe('</s>');
    expect(tokenizer.model_max_length).toBe(64);
  });

  it('splits text into SentencePiece pieces, lowercased, punctuation stripped, </s> appended', () => {
    expect(tokenizer.tokenize('a red leather shoe', { add_special_tokens: true })).toEqual([
      '▁a',
      '▁red',
      '▁leather',
      '▁shoe',
      '</s>',
    ]);
    expect(tokenizer.encode('A RED, leather shoe!')).toEqual(tokenizer.encode('a red leather shoe'));
    // Out-of-vocabulary words are spelled out, unknown characters become <unk>.
    expect(tokenizer.tokenize('zyx')).toEqual(['▁z', 'y', 'x']);
    expect(tokenizer.encode('é')).toEqual([
      tokenizer.get_vocab().get('▁'),
      tokenizer.unk_token_id,
      tokenizer.eos_token_id,
    ]);
    expect(tokenizer.decode(tokenizer.encode('a red leather shoe'), { skip_special_tokens: true })).toBe(
      'a red leather shoe',
    );
  });

  it("pads to max_length 64 with </s>, SigLIP's way", () => {
    const { input_ids } = tokenizer(['a red leather shoe', 'chair'], {
      padding: 'max_length',
      truncation: true,
      max_length: 64,
    });
    expect(input_ids.dims).toEqual([2, 64]);
    const ids = Array.from(input_ids.data as BigInt64Array, Number);
    const eos = tokenizer.eos_token_id;
    expect(ids.slice(0, 6)).toEqual([...tokenizer.encode('a red leather shoe').slice(0, 4), eos, eos]);
    expect(ids.slice(64)).toEqual([...tokenizer.encode('chair'), ...Array<number>(62).fill(eos)]);
  });

  it('config.json and the tokenizer agree on the vocabulary size', async () => {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config.text_config.vocab_size).toBe(tokenizer.get_vocab().size);
    expect(config.text_config.projection_size).toBe(config.vision_config.hidden_size);
  });

  it('embeds tokenizer output into the vision tower dimension, per text independent of the batch', async () => {
    const texts = ['a red leather shoe', 'blue wooden chair', 'summer dress'];
    const { input_ids } = tokenizer(texts, { padding: 'max_length', truncation: true, max_length: 64 });
    expect(session.info.inputNames).toEqual(['input_ids']);
    expect(session.info.outputNames).toEqual(['last_hidden_state', 'pooler_output']);
    const out = await session.run({
      input_ids: { type: 'int64', data: input_ids.data as BigInt64Array, dims: [...input_ids.dims] },
    });
    expect(out.last_hidden_state.dims).toEqual([3, 64, spec.text.hiddenSize]);
    expect(out.pooler_output.dims).toEqual([3, spec.vision.hiddenSize]);
    const pooled = out.pooler_output.data;
    expect(Array.from(pooled).every(Number.isFinite)).toBe(true);

    const single = tokenizer([texts[1]], { padding: 'max_length', truncation: true, max_length: 64 }).input_ids;
    const alone = (
      await session.run({ input_ids: { type: 'int64', data: single.data as BigInt64Array, dims: [1, 64] } })
    ).pooler_output.data;
    const d = spec.vision.hiddenSize;
    for (let i = 0; i < d; i++) expect(Math.abs(alone[i] - pooled[d + i])).toBeLessThan(1e-4);
    // Different texts, different embeddings.
    expect(Math.max(...Array.from({ length: d }, (_, i) => Math.abs(pooled[i] - pooled[d + i])))).toBeGreaterThan(1e-3);
  });

  it('computes what SigLIP computes (matches a plain-loop forward pass of the same weights)', async () => {
    const ids = tokenizer.encode('a red leather shoe');
    const out = await session.run({
      input_ids: { type: 'int64', data: BigInt64Array.from(ids.map(BigInt)), dims: [1, ids.length] },
    });
    const expected = referenceText(
      readWeights(join(dir, TEXT_MODEL_FILE)),
      { ...spec.text, vocabSize: tokenizer.get_vocab().size },
      ids,
    );
    const diff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      Math.max(...Array.from(b, (v, i) => Math.abs(a[i] - v)));
    expect(out.last_hidden_state.data.length).toBe(expected.lastHidden.length);
    expect(diff(out.last_hidden_state.data, expected.lastHidden)).toBeLessThan(1e-4);
    expect(diff(out.pooler_output.data, expected.pooled)).toBeLessThan(1e-4);
  });
});
