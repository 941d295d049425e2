/**
 * Polls until `read()` gives a value `ok` accepts, and fails with the last value after `ms`.
 * A read that throws (e.g. a workflow still starting) counts as "not yet".
 */
export async function eventually<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    let value: T | undefined;
    let gotValue = false;
    try {
      value = await read();
      gotValue = true;
    } catch {
      // not there yet
    }
    if (gotValue && ok(value as T)) return value as T;
    if (Date.now() > until) throw new Error(`condition not met in ${ms} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Awaits `promise`, but fails naming `what` if it takes longer than `ms`: a hang says where it is. */
export async function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
