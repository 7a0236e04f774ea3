/** What searches need from the model: its id (the rows to search) and the two towers. */
export interface QueryEncoder {
  readonly modelId: string;
  /** Decodes with the same limits as the worker, then embeds; L2-normalized. */
  embedImages(buffers: Buffer[]): Promise<Float32Array[]>;
  embedTexts(texts: string[]): Promise<Float32Array[]>;
}

/** Where a search gets its query encoder, and the id of that encoder's model before its session starts. */
export interface QueryEncoderSource {
  modelId(): Promise<string>;
  encoder(): Promise<QueryEncoder>;
}

/**
 * The model behind text and image search, started on first use: the dashboard, health and metrics
 * work on a machine without the model, and the ONNX session's memory is only taken by a process
 * that actually serves searches. A failed start is not cached; the next search retries.
 */
export class LazyQueryEncoder implements QueryEncoderSource {
  private starting?: Promise<QueryEncoder & { close(): Promise<void> }>;

  constructor(
    /** The configured model's id (config files only, no session). */
    readonly modelId: () => Promise<string>,
    private readonly start: () => Promise<QueryEncoder & { close(): Promise<void> }>,
  ) {}

  encoder(): Promise<QueryEncoder> {
    if (!this.starting) {
      this.starting = this.start();
      this.starting.catch(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  async close(): Promise<void> {
    const starting = this.starting;
    this.starting = undefined;
    if (!starting) return;
    const encoder = await starting.catch(() => undefined);
    await encoder?.close();
  }
}
