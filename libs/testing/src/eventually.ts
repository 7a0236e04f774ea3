/**
 * Polls until `check` holds, or fails naming `what` after `timeoutMs`: tests wait on outcomes, never
 * on durations (a loaded CI machine only makes them slower, not wrong).
 */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
