import { InFlightVectors } from './in-flight-vectors';

describe('InFlightVectors', () => {
  const vector = (value: number) => Float32Array.of(value, value);

  it("offers each image's vector from the run until withdrawn", async () => {
    const inFlight = new InFlightVectors();
    const withdraw = inFlight.offer(['a', 'b'], Promise.resolve([vector(1), vector(2)]));
    expect(await inFlight.find('b')).toEqual(vector(2));
    expect(inFlight.find('c')).toBeUndefined();
    withdraw();
    expect(inFlight.find('a')).toBeUndefined();
    expect(inFlight.size).toBe(0);
  });

  it('offers undefined for a failed run, so a borrower runs the image itself', async () => {
    const inFlight = new InFlightVectors();
    const run = Promise.reject(new Error('model failed'));
    run.catch(() => undefined);
    inFlight.offer(['a'], run);
    await expect(inFlight.find('a')).resolves.toBeUndefined();
  });

  it("leaves a later batch's offer of the same image in place when an earlier batch withdraws", async () => {
    const inFlight = new InFlightVectors();
    const withdrawEarlier = inFlight.offer(['a'], Promise.resolve([vector(1)]));
    inFlight.offer(['a'], Promise.resolve([vector(3)]));
    withdrawEarlier();
    expect(await inFlight.find('a')).toEqual(vector(3));
  });
});
