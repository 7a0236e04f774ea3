import { GraphBuilder } from './graph-builder';

/** HF's `initializer_range`: every learned matrix and bias is drawn from N(0, 0.02). */
export const WEIGHT_STD = 0.02;

/** The shape of one pre-LayerNorm transformer encoder stack (SigLIP vision or text). */
export interface EncoderDims {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  layerNormEps: number;
}

/** y = x W + b, with W stored [in, out] (the transpose of torch's Linear.weight). */
export function linear(g: GraphBuilder, x: string, inFeatures: number, outFeatures: number, prefix: string): string {
  const weight = g.weight(`${prefix}.weight`, [inFeatures, outFeatures], { kind: 'normal', std: WEIGHT_STD });
  const bias = g.weight(`${prefix}.bias`, [outFeatures], { kind: 'normal', std: WEIGHT_STD });
  const product = g.node('MatMul', [x, weight], { output: `${prefix}/matmul` });
  return g.node('Add', [product, bias], { output: `${prefix}/output` });
}

export function layerNorm(g: GraphBuilder, x: string, size: number, eps: number, prefix: string): string {
  const scale = g.weight(`${prefix}.weight`, [size], { kind: 'constant', value: 1 });
  const bias = g.weight(`${prefix}.bias`, [size], { kind: 'constant', value: 0 });
  return g.node('LayerNormalization', [x, scale, bias], {
    output: `${prefix}/output`,
    attributes: { axis: { int: -1 }, epsilon: { float: eps } },
  });
}

/**
 * GELU, tanh approximation (HF "gelu_pytorch_tanh"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 * Built from primitives because the Gelu op only exists from opset 20.
 */
export function geluTanh(g: GraphBuilder, x: string, prefix: string): string {
  const c = (name: string, value: number) => g.constFloat(`${prefix}/${name}`, [value]);
  const cubed = g.node('Pow', [x, c('three', 3)], { output: `${prefix}/cubed` });
  const inner = g.node('Add', [x, g.node('Mul', [cubed, c('coeff', 0.044715)], { output: `${prefix}/scaled_cube` })], {
    output: `${prefix}/inner`,
  });
  const tanh = g.node(
    'Tanh',
    [g.node('Mul', [inner, c('sqrt_2_over_pi', Math.sqrt(2 / Math.PI))], { output: `${prefix}/tanh_arg` })],
    {
      output: `${prefix}/tanh`,
    },
  );
  const onePlus = g.node('Add', [tanh, c('one', 1)], { output: `${prefix}/one_plus_tanh` });
  const half = g.node('Mul', [x, c('half', 0.5)], { output: `${prefix}/half_x` });
  return g.node('Mul', [half, onePlus], { output: `${prefix}/output` });
}

/** SiglipMLP: fc1 → GELU(tanh) → fc2. */
export function mlp(g: GraphBuilder, x: string, dims: EncoderDims, prefix: string): string {
  const hidden = linear(g, x, dims.hiddenSize, dims.intermediateSize, `${prefix}.fc1`);
  const activated = geluTanh(g, hidden, `${prefix}/gelu`);
  return linear(g, activated, dims.intermediateSize, dims.hiddenSize, `${prefix}.fc2`);
}

/** The projections of one attention block: query/key/value/output Linear layers by their weight prefixes. */
export interface AttentionProjections {
  query: string;
  key: string;
  value: string;
  out: string;
}

/**
 * Multi-head scaled dot-product attention. `query` is [B|1, Nq, C], `keyValue` is [B, Nk, C]; the
 * batch is never spelled out: Reshape's 0 copies it from the input, so any batch size works, and a
 * query with batch 1 (the pooling probe) broadcasts over the keys' batch in MatMul.
 */
export function multiHeadAttention(
  g: GraphBuilder,
  query: string,
  keyValue: string,
  dims: EncoderDims,
  projections: AttentionProjections,
  prefix: string,
): string {
  const { hiddenSize, numHeads } = dims;
  const headDim = hiddenSize / numHeads;
  const splitHeads = g.constInt64(`${prefix}/split_heads_shape`, [0, 0, numHeads, headDim]);
  const mergeHeads = g.constInt64(`${prefix}/merge_heads_shape`, [0, 0, hiddenSize]);

  // [B, N, C] → [B, N, H, D] → permuted per use.
  const heads = (x: string, name: string, perm: number[]) =>
    g.node('Transpose', [g.node('Reshape', [x, splitHeads], { output: `${prefix}/${name}_split` })], {
      output: `${prefix}/${name}_heads`,
      attributes: { perm: { ints: perm } },
    });

  const q = heads(linear(g, query, hiddenSize, hiddenSize, projections.query), 'q', [0, 2, 1, 3]); // [B, H, Nq, D]
  const kT = heads(linear(g, keyValue, hiddenSize, hiddenSize, projections.key), 'k', [0, 2, 3, 1]); // [B, H, D, Nk]
  const v = heads(linear(g, keyValue, hiddenSize, hiddenSize, projections.value), 'v', [0, 2, 1, 3]); // [B, H, Nk, D]

  const scores = g.node(
    'Mul',
    [g.node('MatMul', [q, kT], { output: `${prefix}/qk` }), g.constFloat(`${prefix}/scale`, [1 / Math.sqrt(headDim)])],
    {
      output: `${prefix}/scores`,
    },
  );
  const weights = g.node('Softmax', [scores], { output: `${prefix}/probs`, attributes: { axis: { int: -1 } } });
  const context = g.node('MatMul', [weights, v], { output: `${prefix}/context` }); // [B, H, Nq, D]
  const merged = g.node(
    'Reshape',
    [
      g.node('Transpose', [context], { output: `${prefix}/context_t`, attributes: { perm: { ints: [0, 2, 1, 3] } } }),
      mergeHeads,
    ],
    { output: `${prefix}/context_merged` },
  );
  return linear(g, merged, hiddenSize, hiddenSize, projections.out);
}

/** SiglipEncoderLayer: x + attn(LN1(x)), then + mlp(LN2(·)). */
export function encoderLayer(g: GraphBuilder, x: string, dims: EncoderDims, prefix: string): string {
  const normed = layerNorm(g, x, dims.hiddenSize, dims.layerNormEps, `${prefix}.layer_norm1`);
  const attention = multiHeadAttention(
    g,
    normed,
    normed,
    dims,
    {
      query: `${prefix}.self_attn.q_proj`,
      key: `${prefix}.self_attn.k_proj`,
      value: `${prefix}.self_attn.v_proj`,
      out: `${prefix}.self_attn.out_proj`,
    },
    `${prefix}/self_attn`,
  );
  const afterAttention = g.node('Add', [x, attention], { output: `${prefix}/attn_residual` });
  const normed2 = layerNorm(g, afterAttention, dims.hiddenSize, dims.layerNormEps, `${prefix}.layer_norm2`);
  const feedForward = mlp(g, normed2, dims, `${prefix}.mlp`);
  return g.node('Add', [afterAttention, feedForward], { output: `${prefix}/output` });
}

export function encoder(g: GraphBuilder, x: string, dims: EncoderDims, prefix: string): string {
  let hidden = x;
  for (let layer = 0; layer < dims.numLayers; layer++)
    hidden = encoderLayer(g, hidden, dims, `${prefix}.layers.${layer}`);
  return hidden;
}
