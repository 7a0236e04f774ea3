import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { EmbedderError } from '../errors';
import { repoCacheDir, snapshotDir } from './hf-cache';
import { type ManifestEntry, type ModelManifest, storeManifest } from './manifest';
import {
  CONFIG_FILE,
  type ModelDtype,
  OPTIONAL_TOKENIZER_FILES,
  PREPROCESSOR_FILE,
  TOKENIZER_FILES,
  externalDataFileFor,
  onnxFileFor,
} from './model-files';

export interface DownloadModelOptions {
  modelId: string;
  hfHome: string;
  dtype: ModelDtype;
  /** Branch, tag or commit; default main. */
  revision?: string;
  /** Hub base URL (a mirror, or a test server); default transformers.js's env.remoteHost (https://huggingface.co/). */
  remoteHost?: string;
  /** Also fetch the text tower and tokenizer (text search). Default true. */
  includeText?: boolean;
  onFile?: (event: { file: string; status: 'downloading' | 'done' | 'absent'; bytes?: number }) => void;
}

export interface DownloadResult {
  dir: string;
  revision: string;
  manifest: ModelManifest;
}

interface FileToFetch {
  path: string;
  required: boolean;
}

function filesFor(dtype: ModelDtype, includeText: boolean): FileToFetch[] {
  const vision = onnxFileFor('vision_model', dtype);
  const files: FileToFetch[] = [
    { path: CONFIG_FILE, required: true },
    { path: PREPROCESSOR_FILE, required: true },
    { path: vision, required: true },
    // Exports over 2 GB keep their weights beside the graph; absent for smaller ones.
    { path: externalDataFileFor(vision), required: false },
  ];
  if (includeText) {
    const text = onnxFileFor('text_model', dtype);
    files.push({ path: text, required: false }, { path: externalDataFileFor(text), required: false });
    for (const path of [...TOKENIZER_FILES, ...OPTIONAL_TOKENIZER_FILES]) files.push({ path, required: false });
  }
  return files;
}

function downloadFailed(message: string, url: string, cause?: unknown): EmbedderError {
  return new EmbedderError('MODEL_DOWNLOAD_FAILED', `${message}: ${url}`, {
    hint: 'Check the network and the model id (https://huggingface.co/<org>/<name>), or download elsewhere and point MODEL_DIR at the files.',
    cause,
  });
}

/** Builds the hub URL the way transformers.js does: remoteHost + remotePathTemplate + file. */
export function hubFileUrl(
  remoteHost: string,
  pathTemplate: string,
  modelId: string,
  revision: string,
  file: string,
): string {
  const base = remoteHost.endsWith('/') ? remoteHost : `${remoteHost}/`;
  const path = pathTemplate.replaceAll('{model}', modelId).replaceAll('{revision}', encodeURIComponent(revision));
  return `${base}${path}${file}`;
}

/** Streams one response body to `target` (via a temp file) while hashing it; checks the byte count. */
async function saveBody(response: Response, target: string, url: string): Promise<Omit<ManifestEntry, 'path'>> {
  const expected = Number(response.headers.get('content-length') ?? NaN);
  const hash = createHash('sha256');
  let size = 0;
  const tmp = `${target}.${process.pid}.incomplete`;
  await mkdir(dirname(target), { recursive: true });
  try {
    if (!response.body) throw new Error('empty response body');
    await pipeline(
      Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      }),
      createWriteStream(tmp),
    );
    if (Number.isFinite(expected) && size !== expected)
      throw new Error(`connection closed after ${size} of ${expected} bytes`);
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw downloadFailed(
      `Download of ${target} failed (${error instanceof Error ? error.message : String(error)})`,
      url,
      error,
    );
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * Fetches a model's files from the Hugging Face Hub into the huggingface_hub cache layout
 * (`<HF_HOME>/hub/models--org--name/snapshots/<commit>/`, refs/<revision> → commit) and records a
 * vectorizer-manifest.json (size + sha256 per file) that every start verifies.
 *
 * URLs, the hub host and the fetch implementation come from transformers.js's `env` (remoteHost,
 * remotePathTemplate, fetch), so a mirror configured there is honoured. Its own getModelFile is
 * not public API in 4.x and buffers a whole file in memory, so the streaming is done here.
 */
export async function downloadModel(opts: DownloadModelOptions): Promise<DownloadResult> {
  const { env } = await import('@huggingface/transformers');
  const revision = opts.revision ?? 'main';
  const remoteHost = opts.remoteHost ?? env.remoteHost;
  const doFetch = (env.fetch ?? fetch) as (url: string, init?: RequestInit) => Promise<Response>;
  const staging = join(repoCacheDir(opts.hfHome, opts.modelId), `.incoming-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  let commit: string | undefined;
  const entries: ManifestEntry[] = [];
  try {
    for (const file of filesFor(opts.dtype, opts.includeText ?? true)) {
      const url = hubFileUrl(remoteHost, env.remotePathTemplate, opts.modelId, revision, file.path);
      let response: Response;
      try {
        response = await doFetch(url, { redirect: 'follow' });
      } catch (error) {
        const reason = (error as { cause?: { code?: string; message?: string } }).cause;
        throw downloadFailed(
          `Could not reach the model hub (${reason?.code ?? reason?.message ?? String(error)})`,
          url,
          error,
        );
      }
      if (response.status === 404 && !file.required) {
        await response.body?.cancel();
        opts.onFile?.({ file: file.path, status: 'absent' });
        continue;
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        const meaning =
          response.status === 404
            ? 'not found (wrong model id, revision or MODEL_DTYPE?)'
            : response.status === 401 || response.status === 403
              ? 'access denied (gated or private model)'
              : `HTTP ${response.status}`;
        throw downloadFailed(`${file.path} ${meaning}`, url);
      }
      // The hub names the commit a branch resolves to; it becomes the snapshot folder, as huggingface_hub does.
      commit ??= response.headers.get('x-repo-commit') ?? undefined;
      opts.onFile?.({
        file: file.path,
        status: 'downloading',
        bytes: Number(response.headers.get('content-length') ?? NaN),
      });
      const measured = await saveBody(response, join(staging, file.path), url);
      entries.push({ path: file.path, ...measured });
      opts.onFile?.({ file: file.path, status: 'done', bytes: measured.size });
    }
    const snapshotName = commit ?? revision;
    const dir = snapshotDir(opts.hfHome, opts.modelId, snapshotName);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dirname(dir), { recursive: true });
    await rename(staging, dir);
    if (commit && commit !== revision) {
      await mkdir(join(repoCacheDir(opts.hfHome, opts.modelId), 'refs'), { recursive: true });
      await writeFile(join(repoCacheDir(opts.hfHome, opts.modelId), 'refs', revision), commit);
    }
    const manifest = await storeManifest(dir, {
      modelId: opts.modelId,
      revision: snapshotName,
      dtype: opts.dtype,
      createdAt: new Date().toISOString(),
      files: entries,
    });
    return { dir, revision: snapshotName, manifest };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
