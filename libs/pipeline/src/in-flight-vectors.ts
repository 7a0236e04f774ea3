/**
 * The vectors that batches in flight are inferring, by image sha256. A batch looks its images up in
 * Postgres before it runs the model; a picture that another batch is running (or has run and not yet
 * written) is found in neither place that batch looked, so it takes the vector from here instead of
 * running it a second time.
 */
export class InFlightVectors {
  private readonly offers = new Map<string, Promise<Float32Array | undefined>>();

  /** The vector another batch is producing for this image, if any (undefined when that run fails). */
  find(sha256: string): Promise<Float32Array | undefined> | undefined {
    return this.offers.get(sha256);
  }

  /**
   * Offers the vector of each image `run` embeds (`sha256s[i]` → `run`'s i-th vector) until the
   * returned function is called: once the batch's rows are committed, Postgres answers for them.
   * A failed run offers undefined, so a borrower runs the image itself instead of inheriting that
   * batch's failure.
   */
  offer(sha256s: readonly string[], run: Promise<readonly Float32Array[]>): () => void {
    const offered = sha256s.map((sha256, index) => {
      const vector = run.then(
        (vectors) => vectors[index],
        () => undefined,
      );
      this.offers.set(sha256, vector);
      return [sha256, vector] as const;
    });
    return () => {
      for (const [sha256, vector] of offered) if (this.offers.get(sha256) === vector) this.offers.delete(sha256);
    };
  }

  /** Images offered now (tests: nothing may be left once every batch has ended). */
  get size(): number {
    return this.offers.size;
  }
}
