import { VectorizerError } from '@vectorizer/errors';
import { type RequestHandler, Router } from 'express';
import multer from 'multer';
import { SearchInputError, parseK, parseTextQuery } from '../search/search-input';
import type { SearchService } from '../search/search-service';

export interface SearchRoutesOptions {
  service: SearchService;
  maxK: number;
  /** IMAGE_MAX_BYTES: the same ceiling the worker applies to downloaded images. */
  imageMaxBytes: number;
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
  const { service, maxK } = options;
  const router = Router();

  router.get('/products/:id/similar', async (req, res) => {
    const k = parseK(req.query.k, maxK);
    res.json({ results: await service.similarToProduct(req.params.id, k) });
  });

  router.post('/search/image', singleImageUpload(options.imageMaxBytes), async (req, res) => {
    const k = parseK(req.query.k ?? (req.body as Record<string, unknown> | undefined)?.k, maxK);
    if (!req.file || req.file.size === 0) {
      throw new SearchInputError('No image uploaded', 'Send the image as multipart/form-data in the field "image".');
    }
    res.json({ results: await service.byImage(req.file.buffer, k) });
  });

  router.get('/search/text', async (req, res) => {
    const q = parseTextQuery(req.query.q);
    const k = parseK(req.query.k, maxK);
    res.json({ results: await service.byText(q, k) });
  });

  return router;
}
