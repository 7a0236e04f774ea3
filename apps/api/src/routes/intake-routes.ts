import { VectorizerError } from '@vectorizer/errors';
import type { CatalogService } from '@vectorizer/runtime';
import express, { type RequestHandler, Router } from 'express';
import { safeEqual } from '../dashboard/authenticate';

export interface IntakeRoutesOptions {
  /** INGEST_TOKEN; unset turns POST/DELETE /api/products off (404 INGEST_DISABLED). */
  token: string | undefined;
  /** INGEST_MAX_BODY_BYTES: larger bodies are refused with 413, before or while reading them. */
  maxBodyBytes: number;
  /** Intake within the queue window (QUEUE_WINDOW), and removal. */
  catalog: CatalogService;
  /** The id of the model jobs are keyed by; resolved per request, so a model fixed after start needs no restart. */
  model: () => Promise<string>;
}

/** Off without a token; otherwise `Authorization: Bearer <INGEST_TOKEN>`, compared in constant time. */
function ingestAuth(token: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (token === undefined) {
      next(new VectorizerError('INGEST_DISABLED', `${req.method} /api/products is off: INGEST_TOKEN is not set`));
      return;
    }
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    if (bearer?.[1] !== undefined && safeEqual(bearer[1], token)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="vectorizer ingest"');
    next(
      new VectorizerError(
        'INGEST_UNAUTHORIZED',
        bearer ? 'The ingest token is wrong' : 'The request has no Authorization: Bearer token',
      ),
    );
  };
}

function bodyTooLarge(maxBodyBytes: number): VectorizerError {
  return new VectorizerError('INGEST_BODY_TOO_LARGE', `The request body is larger than ${maxBodyBytes} bytes`);
}

/**
 * Checks the Content-Type, refuses a declared Content-Length over the limit before reading a byte,
 * then reads the body (raw, cut off at the limit while streaming).
 */
function intakeBody(catalog: CatalogService, maxBodyBytes: number): RequestHandler {
  const read = express.raw({ type: () => true, limit: maxBodyBytes });
  return (req, res, next) => {
    try {
      catalog.checkBodyType(req.headers['content-type']);
    } catch (error) {
      next(error);
      return;
    }
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      // The body is never read; closing the connection stops the client from sending the rest of it.
      res.setHeader('Connection', 'close');
      next(bodyTooLarge(maxBodyBytes));
      return;
    }
    read(req, res, (error: unknown) => {
      if ((error as { type?: unknown } | undefined)?.type === 'entity.too.large') {
        res.setHeader('Connection', 'close');
        next(bodyTooLarge(maxBodyBytes));
        return;
      }
      next(error);
    });
  };
}

/**
 * Product intake for loaders in any language: `POST /products` upserts a JSON array or NDJSON of
 * `{id, image_url, title?, attributes?}` and enqueues what needs an embedding (the same path and
 * validation as `ingest`); `DELETE /products/:id` removes a product and its vectors.
 */
export function intakeRoutes(options: IntakeRoutesOptions): Router {
  const router = Router();
  const auth = ingestAuth(options.token);

  router.post('/products', auth, intakeBody(options.catalog, options.maxBodyBytes), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    res.json(await options.catalog.intakeBody(body, req.headers['content-type'], await options.model()));
  });

  router.delete('/products/:id', auth, async (req, res) => {
    const id = String(req.params.id);
    const removed = await options.catalog.remove(id, await options.model());
    if (!removed) throw new VectorizerError('PRODUCT_NOT_FOUND', `No product with id ${JSON.stringify(id)}`);
    res.json({ deleted: id });
  });

  return router;
}
