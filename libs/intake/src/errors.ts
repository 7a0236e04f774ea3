import { VectorizerError } from '@vectorizer/errors';

/** A request body that cannot be read as products at all (not one bad item: those are reported per item). */
export class IntakeBodyInvalidError extends VectorizerError {
  constructor(message: string) {
    super('INGEST_BODY_INVALID', message);
  }
}

/** A Content-Type that is neither JSON nor NDJSON. */
export class IntakeMediaTypeError extends VectorizerError {
  constructor(contentType: string | undefined) {
    super(
      'INGEST_MEDIA_TYPE_UNSUPPORTED',
      contentType ? `Unsupported Content-Type ${JSON.stringify(contentType)}` : 'The request has no Content-Type',
    );
  }
}
