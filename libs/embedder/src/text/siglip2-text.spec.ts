import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ensureDevModel } from '@vectorizer/dev-model';
import { createLogger } from '@vectorizer/logger';
import { Embedder } from '../embedder';
import { type ResolvedModel, resolveModel } from '../model/resolve-model';
import { type TextPreprocessing, summarizeTextPreprocessing } from '../model/text-preprocessing';
import { loadTextEncoder } from './tokenizer';

/**
 * Text parity for a SigLIP 2 FixRes export, on the SigLIP 2-shaped dev model (libs/dev-model
 * family 'siglip2': Gemma byte-fallback BPE tokenizer.json, `<pad>` = 0, `<eos>` = 1, no BOS,
 * tokenizer model_max_length 1e30, config.json without max_position_embeddings).
 *
 * The expected ids are written out by hand from the generated vocabulary and were checked against
 * Hugging Face's reference tokenizer (the Rust `tokenizers` 0.23.2, Python bindings, same
 * tokenizer.json): e.g. `Tokenizer.from_file(...).encode("red shoes").ids == [1731, 787, 1]`.
 * Hand-written, not computed, so a change of tokenizer behaviour or of the dev vocabulary fails here.
 */
const PAD = 0;
const EOS = 1;
const MAX_LENGTH = 64;
const BYTE = (b: number) => 5 + b; // <0x00> follows the five specials

const padded = (ids: number[]) => [...ids, ...new Array<number>(MAX_LENGTH - ids.length).fill(PAD)];

const REFERENCE: [text: string, ids: number[]][] = [
  // Lower-cased first (SigLIP 2 was trained lowercased); no `▁` before the first word (no dummy prefix).
  ['Red Shoes', [1731, 787, EOS]], // red ▁shoes <eos>
  ['a red leather bag!', [262, 458, 682, 448, BYTE(0x21), EOS]], // a ▁red ▁leather ▁bag <0x21> <eos>
  ['Café au lait', [1723, 267, BYTE(0xc3), BYTE(0xa9), 1437, 579, 1615, EOS]], // ca f <0xC3> <0xA9> ▁au ▁la it
  ['blue', [1747, EOS]],
];

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i], 0);

/**
 * The text graph run on the reference ids by a plain onnxruntime-node session in a child process
 * (Jest's sandbox breaks ORT's typed-array checks), L2-normalized: what the export's own pooling
 * (pooler_output) gives for exactly those ids.
 */
function pooledReference(textModelPath: string, ids: number[]): Float32Array {
  const script = `
    const ort = require('onnxruntime-node');
    (async () => {
      const session = await ort.InferenceSession.create(process.argv[1]);
      const ids = JSON.parse(process.argv[2]);
      const out = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) });
      process.stdout.write(JSON.stringify(Array.from(out.pooler_output.data)));
    })();`;
  const pooled = JSON.parse(
    execFileSync(process.execPath, ['-e', script, textModelPath, JSON.stringify(ids)], {
      encoding: 'utf8',
      cwd: join(__dirname, '..', '..', '..', '..'),
    }),
  ) as number[];
  const norm = Math.hypot(...pooled);
  return Float32Array.from(pooled, (x) => x / norm);
}

describe('SigLIP 2 (FixRes) text: Gemma tokenizer, pad id and length from the config files', () => {
  let dir: string;
  let model: ResolvedModel;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dev-siglip2-'));
    await ensureDevModel({ dir: join(dir, 'model'), size: 'tiny', family: 'siglip2' });
    model = await resolveModel({ modelDir: join(dir, 'model'), dtype: 'fp32', devModelSize: 'tiny' });
  }, 60_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads length, pad token and lower-casing from the model files, with SigLIP 2 configs leaving the length out', async () => {
    const config = JSON.parse(await readFile(join(model.dir, 'config.json'), 'utf8'));
    const tokenizerConfig = JSON.parse(await readFile(join(model.dir, 'tokenizer_config.json'), 'utf8'));
    expect(config.model_type).toBe('siglip');
    expect(config.text_config.max_position_embeddings).toBeUndefined();
    expect(tokenizerConfig.model_max_length).toBeGreaterThan(1e20);
    expect(model).toMatchObject({ id: 'vectorizer/dev-siglip2-tiny', dimension: 64 });
    expect(model.preprocessor.resample).toBe(2); // SigLIP 2 resizes bilinearly
    expect(model.textPreprocessing).toMatchObject({
      maxLength: MAX_LENGTH,
      padToken: '<pad>',
      paddingSide: 'right',
      lowercase: true,
    });
    // A SigLIP 1 tokenizer is lower-cased only because it says so.
    expect(summarizeTextPreprocessing(config, { ...tokenizerConfig, tokenizer_class: 'T5Tokenizer' }).lowercase).toBe(
      false,
    );
  });

  it('tokenizes like the reference: lower-cased, <eos> appended, byte fallback, padded to 64 with <pad>', async () => {
    const encode = await loadTextEncoder(model.dir, model.textPreprocessing as TextPreprocessing);
    const { inputIds, attentionMask } = await encode(REFERENCE.map(([text]) => text));
    expect(inputIds).toEqual(REFERENCE.map(([, ids]) => padded(ids)));
    expect(attentionMask[1].filter((bit) => bit === 1)).toHaveLength(REFERENCE[1][1].length);
  });

  it('truncates a long query to 64 tokens keeping <eos> last, as the fast tokenizer does', async () => {
    const encode = await loadTextEncoder(model.dir, model.textPreprocessing as TextPreprocessing);
    const { inputIds } = await encode([Array.from({ length: 100 }, () => 'red').join(' ')]);
    expect(inputIds[0]).toEqual([1731, ...new Array<number>(62).fill(458), EOS]);
  });

  it("embeds text through the export's own pooling: the embedding of the reference ids", async () => {
    const reference = pooledReference(model.textModelPath as string, padded(REFERENCE[0][1]));

    const embedder = await Embedder.start({
      model,
      device: 'cpu',
      allowCpuFallback: false,
      maxBatchSize: 2,
      threads: 1,
      logger: createLogger({ destination: new PassThrough(), format: 'json' }),
    });
    try {
      const [ours, lower, eosPadded] = await embedder.embedTexts(['Red Shoes', 'red shoes', 'red shoes</s>']);
      expect(cosine(ours, reference)).toBeGreaterThan(0.99999);
      expect(cosine(ours, lower)).toBeGreaterThan(0.99999);
      expect(cosine(ours, eosPadded)).toBeLessThan(0.9999);
      const [image] = await embedder.embedPixels([new Float32Array(3 * 32 * 32)]);
      expect(image).toHaveLength(model.dimension);
    } finally {
      await embedder.close();
    }
  });
});
