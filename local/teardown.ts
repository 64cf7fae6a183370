/**
 * What a start-up phase started, stopped again in the reverse order. A step that fails to stop does not keep the
 * others running: shutting down is best effort, as Ctrl-C must free every port and process whatever broke.
 */
export class Teardown {
  private readonly steps: Array<() => unknown> = [];

  /** Adds steps; they run last-added first. */
  add(...steps: Array<() => unknown>): void {
    this.steps.push(...steps);
  }

  /** Runs every step once, newest first; later calls do nothing. */
  async run(): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      await Promise.resolve()
        .then(step)
        .catch(() => undefined);
    }
  }
}

/** A phase's result: what it started, and how to stop it. */
export type Started<T> = T & { close(): Promise<void> };

/**
 * Runs one phase with its own teardown: on failure, stops what the phase had started and rethrows; on success,
 * returns a copy of its result (a plain object) with `close`, which stops everything the phase started (a `close`
 * in the result, such as an inner phase's, is replaced: the phase's teardown already holds it).
 */
export async function startPhase<T extends object>(start: (teardown: Teardown) => Promise<T>): Promise<Started<T>> {
  const teardown = new Teardown();
  try {
    const started = await start(teardown);
    return { ...started, close: () => teardown.run() };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}
