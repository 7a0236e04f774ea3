/**
 * The session thread (a worker_threads entry). ORT's session.run() holds the calling thread for the
 * whole batch, so the sessions live here and the main thread keeps serving HTTP, Redis locks and
 * decodes while a batch runs. Messages are handled strictly one at a time: one run per session.
 * Imports stay relative (no @vectorizer/* aliases) so the thread needs no path mapping to start.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { serializeError, type SerializedError } from './serialized-error';
import { float32ToHalfBits, halfBitsToFloat32 } from '@vectorizer/images';
import { l2NormalizeRows } from './l2-normalize';
import type { FromThread, SessionInfo, ThreadInit, ToThread } from './protocol';
import type { ExecutionAttempt } from './providers';
import { loadTokenizer, type TextFeeds } from '../text/tokenizer';

const init = workerData as ThreadInit;
const port = parentPort;
if (!port) throw new Error('inference-thread.ts must be started as a worker thread');

function send(message: FromThread, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

function sessionOptions(attempt: ExecutionAttempt): ort.InferenceSession.SessionOptions {
  const provider =
    attempt.provider.name === 'cuda' ? { name: 'cuda', deviceId: attempt.provider.deviceId } : attempt.provider.name;
  return {
    executionProviders: [provider as ort.InferenceSession.ExecutionProviderConfig],
    graphOptimizationLevel: 'all',
    // A planned thread count shares the cores with image decoding: idle ORT threads sleep instead of
    // spinning, or they burn the core a decode needs (docs/performance.md).
    ...(init.threads === undefined
      ? {}
      : { intraOpNumThreads: init.threads, extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  };
}

/** Tries each planned provider in order; the failures of earlier ones come back as warnings. */
async function createSession(path: string): Promise<{
  session: ort.InferenceSession;
  attempt: ExecutionAttempt;
  failures: { provider: string; error: SerializedError }[];
}> {
  const failures: { provider: string; error: SerializedError }[] = [];
  for (const attempt of init.attempts) {
    try {
      return { session: await ort.InferenceSession.create(path, sessionOptions(attempt)), attempt, failures };
    } catch (error) {
      failures.push({ provider: attempt.label, error: serializeError(error) });
    }
  }
  throw Object.assign(new Error('no execution provider could load the model'), { failures });
}

function tensorMeta(metadata: readonly ort.InferenceSession.ValueMetadata[], name: string) {
  const meta = metadata.find((m) => m.name === name);
  return meta && meta.isTensor ? meta : undefined;
}

/** pooler_output (SigLIP/Optimum) or image_embeds/text_embeds (CLIP with projection), else the only 2-D output. */
function pickOutput(session: ort.InferenceSession, preferred: string[]): string {
  for (const name of preferred) if (session.outputNames.includes(name)) return name;
  const twoDimensional = session.outputMetadata.find((m) => m.isTensor && m.shape.length === 2);
  if (twoDimensional) return twoDimensional.name;
  throw new Error(
    `the model has none of the outputs ${preferred.join(', ')} (outputs: ${session.outputNames.join(', ')})`,
  );
}

function staticDim(value: number | string | undefined): number | undefined {
  return typeof value === 'number' && value > 0 ? value : undefined;
}

let vision: { session: ort.InferenceSession; info: SessionInfo } | undefined;
let text:
  | {
      session: ort.InferenceSession;
      outputName: string;
      tokenize: (texts: string[]) => Promise<TextFeeds>;
    }
  | undefined;

async function startVision(): Promise<void> {
  const { session, attempt, failures } = await createSession(init.visionModelPath);
  const inputName = session.inputNames.includes('pixel_values') ? 'pixel_values' : session.inputNames[0];
  const outputName = pickOutput(session, ['pooler_output', 'image_embeds']);
  const input = tensorMeta(session.inputMetadata, inputName);
  const output = tensorMeta(session.outputMetadata, outputName);
  const height = staticDim(input?.shape[2]);
  const width = staticDim(input?.shape[3]);
  const info: SessionInfo = {
    provider: attempt.label,
    inputName,
    outputName,
    declaredDimension: staticDim(output?.shape[output.shape.length - 1]),
    declaredImageSize: height && width ? { height, width } : undefined,
    inputType: input?.type === 'float16' ? 'float16' : 'float32',
  };
  vision = { session, info };
  send({
    type: 'ready',
    session: info,
    warnings: failures.map(
      (f) => `execution provider ${f.provider} failed to load the model, fell back: ${f.error.message}`,
    ),
  });
}

function outputAsFloat32(tensor: ort.Tensor): Float32Array {
  if (tensor.type === 'float16') return halfBitsToFloat32(tensor.data as Uint16Array);
  if (tensor.type !== 'float32') throw new Error(`unexpected output type ${tensor.type}`);
  // Copy out of ORT's buffer so it can be transferred to the main thread.
  return new Float32Array(tensor.data as Float32Array);
}

async function embedPixels(message: Extract<ToThread, { type: 'embed-pixels' }>): Promise<void> {
  if (!vision) throw new Error('vision session not loaded');
  const limit = init.testHooks?.failAllocationAboveBatch;
  if (limit !== undefined && message.batch > limit) {
    throw new Error(`Failed to allocate memory for requested buffer (test hook: batch ${message.batch} > ${limit})`);
  }
  const dims = [message.batch, 3, message.height, message.width];
  const { pixels } = message;
  let input: ort.Tensor;
  if (vision.info.inputType === 'float32') {
    if (!(pixels instanceof Float32Array)) throw new Error('this model takes float32 pixels, not half-precision bits');
    input = new ort.Tensor('float32', pixels, dims);
  } else {
    // Batches normalized from RGB arrive as half bits already; float32 ones (embedPixels) are converted here.
    input = new ort.Tensor('float16', pixels instanceof Uint16Array ? pixels : float32ToHalfBits(pixels), dims);
  }
  const outputs = await vision.session.run({ [vision.info.inputName]: input });
  const output = outputs[vision.info.outputName];
  const dimension = output.dims[output.dims.length - 1];
  const embeddings = l2NormalizeRows(outputAsFloat32(output), dimension);
  for (const tensor of Object.values(outputs)) tensor.dispose();
  // The input goes back with the result: the main thread reuses it instead of allocating a new one.
  send({ type: 'result', id: message.id, embeddings, dimension, pixels: message.pixels }, [
    embeddings.buffer as ArrayBuffer,
    message.pixels.buffer as ArrayBuffer,
  ]);
}

async function startText(): Promise<NonNullable<typeof text>> {
  if (!init.textModelPath || !init.textPreprocessing) {
    throw Object.assign(new Error('this model directory has no text tower'), { code: 'TEXT_MODEL_UNAVAILABLE' });
  }
  const { session } = await createSession(init.textModelPath);
  const outputName = pickOutput(session, ['pooler_output', 'text_embeds']);
  const tokenize = await loadTokenizer({
    modelDir: init.modelDir,
    preprocessing: init.textPreprocessing,
    inputNames: session.inputNames,
  });
  return { session, outputName, tokenize };
}

async function embedTexts(message: Extract<ToThread, { type: 'embed-texts' }>): Promise<void> {
  text ??= await startText();
  const outputs = await text.session.run(await text.tokenize(message.texts));
  const output = outputs[text.outputName];
  const dimension = output.dims[output.dims.length - 1];
  const embeddings = l2NormalizeRows(outputAsFloat32(output), dimension);
  for (const tensor of Object.values(outputs)) tensor.dispose();
  send({ type: 'result', id: message.id, embeddings, dimension }, [embeddings.buffer as ArrayBuffer]);
}

async function handle(message: ToThread): Promise<void> {
  try {
    if (message.type === 'embed-pixels') await embedPixels(message);
    else if (message.type === 'embed-texts') await embedTexts(message);
    else {
      await vision?.session.release();
      await text?.session.release();
      send({ type: 'closed', id: message.id });
      port?.close();
    }
  } catch (error) {
    send({ type: 'failed', id: message.id, error: serializeError(error) });
  }
}

// A promise chain keeps one message in flight at a time even though handlers await. Loading is
// its first item, so nothing runs before the session exists.
let queue: Promise<void> = startVision().catch((error: unknown) => {
  const failures = (error as { failures?: { provider: string; error: SerializedError }[] }).failures ?? [];
  send({ type: 'init-failed', error: serializeError(error), failures });
});

port.on('message', (message: ToThread) => {
  queue = queue.then(() => handle(message));
});
