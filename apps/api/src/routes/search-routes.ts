import type { IncomingMessage } from 'node:http';
import { VectorizerError } from '@vectorizer/errors';
import { type RequestHandler, Router } from 'express';
import multer from 'multer';
import { SearchInputError } from '@vectorizer/runtime';
import type { SearchAnswer, SearchInput, SearchService } from '@vectorizer/search';
import { withDisplayImageUrl } from '../search/display-image-url';

export interface SearchRoutesOptions {
  service: SearchService;
  /** The rules k, filters and queries are read by (SEARCH_MAX_K bounds k). */
  input: SearchInput;
  /** IMAGE_MAX_BYTES: the same ceiling the worker applies to downloaded images. */
  imageMaxBytes: number;
  /** SEARCH_MAX_CONCURRENT_UPLOADS: image searches held at once; more answer 429 (their body read and dropped). */
  maxConcurrentUploads?: number;
}

const DEFAULT_MAX_CONCURRENT_UPLOADS = 4;
/** Seconds a refused client waits: one image search takes well under that. */
const RETRY_AFTER_SECONDS = 1;

/** How long a refused upload may take to arrive before the refusal is sent anyway (and the connection closed). */
const REFUSED_DRAIN_MS = 10_000;
/** Hits carry an image URL a browser can load (`displayImageUrl`). */
function forBrowser(answer: SearchAnswer): SearchAnswer {
  return { ...answer, results: answer.results.map(withDisplayImageUrl) };
}

/** Room for the multipart framing and small fields around an image of IMAGE_MAX_BYTES. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * Reads and discards a refused request's body, up to `limit` bytes and `timeoutMs`; resolves
 * whether the connection must close (the body was larger or slower than that, or broke). Answering
 * before the body is read and closing made clients still sending see EPIPE instead of the 429.
 */
function drainBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (req.complete) {
      resolve(false);
      return;
    }
    let seen = 0;
    let settled = false;
    const done = (close: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      if (close) req.pause();
      resolve(close);
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > limit) done(true);
    };
    const timer = setTimeout(() => done(true), timeoutMs);
    req.on('data', onData);
    req.once('end', () => done(false));
    req.once('error', () => done(true));
    req.once('close', () => done(!req.complete));
  });
}

/**
 * Bounds the memory image search can hold (uploads of up to IMAGE_MAX_BYTES each, buffered whole):
 * beyond `max` searches in progress, answer 429 with Retry-After once the refused body has been
 * read and dropped (bounded by drainBody; nothing is kept). A slot is freed when its response ends
 * or its client goes away.
 */
function imageSearchSlots(max: number, imageMaxBytes: number): RequestHandler {
  let inUse = 0;
  return (req, res, next) => {
    if (inUse >= max) {
      void drainBody(req, imageMaxBytes + MULTIPART_OVERHEAD_BYTES, REFUSED_DRAIN_MS).then((close) => {
        res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
        if (close) res.setHeader('Connection', 'close');
        next(
          new VectorizerError('TOO_MANY_REQUESTS', `${max} image searches are already in progress`, {
            hint: `Retry after ${RETRY_AFTER_SECONDS} s; SEARCH_MAX_CONCURRENT_UPLOADS sets the limit.`,
          }),
        );
      });
      return;
    }
    inUse += 1;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inUse -= 1;
    };
    res.once('finish', release);
    res.once('close', release);
    next();
  };
}

/** The upload arrives in memory (never on disk) and is cut off at imageMaxBytes while streaming. */
function singleImageUpload(imageMaxBytes: number): RequestHandler {
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: imageMaxBytes, files: 1 } }).single(
    'image',
  );
  return (req, res, next) => {
    upload(req, res, (error: unknown) => {
      if (error instanceof multer.MulterError) {
        if (error.code === 'LIMIT_FILE_SIZE') {
          next(
            new VectorizerError('IMAGE_TOO_LARGE', `The uploaded image is larger than ${imageMaxBytes} bytes`, {
              hint: 'Upload a smaller image (IMAGE_MAX_BYTES sets the limit).',
            }),
          );
          return;
        }
        next(
          new SearchInputError(
            `Upload rejected: ${error.message}${error.field ? ` (field ${error.field})` : ''}`,
            'Send one file in the multipart field "image".',
          ),
        );
        return;
      }
      next(error);
    });
  };
}

export function searchRoutes(options: SearchRoutesOptions): Router {
  const { service, input } = options;
  const router = Router();

  router.get('/products/:id/similar', async (req, res) => {
    const k = input.k(req.query.k);
    const filter = input.filterParams(req.query);
    res.json(forBrowser(await service.similarToProduct(req.params.id, k, filter)));
  });

  const slots = imageSearchSlots(options.maxConcurrentUploads ?? DEFAULT_MAX_CONCURRENT_UPLOADS, options.imageMaxBytes);
  router.post('/search/image', slots, singleImageUpload(options.imageMaxBytes), async (req, res) => {
    const fields = req.body as Record<string, unknown> | undefined;
    const k = input.k(req.query.k ?? fields?.k);
    const filter = input.filterParams(req.query.filter === undefined ? fields : req.query);
    if (!req.file || req.file.size === 0) {
      throw new SearchInputError('No image uploaded', 'Send the image as multipart/form-data in the field "image".');
    }
    res.json(forBrowser(await service.byImage(req.file.buffer, k, filter)));
  });

  router.get('/search/text', async (req, res) => {
    const q = input.text(req.query.q);
    const k = input.k(req.query.k);
    const filter = input.filterParams(req.query);
    res.json(forBrowser(await service.byText(q, k, filter)));
  });

  return router;
}
