/**
 * Loading on first use, for the composition roots: the AWS SDK clients and the adapters over them
 * are needed only for a dead letter, the attempt ledger, idempotency, the canary or a secret, so
 * INIT does not evaluate them and a batch of good records never does (issue 11, cold start).
 *
 * The bundle stays one file (`NodejsFunction` gives esbuild `--outfile`, which code splitting
 * cannot use): esbuild compiles each `import()` of a bundled module to a lazy initializer in that
 * file, so the module's code is parsed with the bundle but runs only when first imported.
 */

/**
 * `load` run once, on the first call; concurrent first calls share it, and a failed load is tried
 * again by the next call instead of failing every later one.
 *
 * @example
 * const s3 = loadOnce(async () => new (await import("@aws-sdk/client-s3")).S3Client({}));
 * const client = await s3();
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

/** The methods of a port, all asynchronous: what {@link deferredPort} can forward. */
type AsyncPort<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<R> : never;
};

/**
 * A port whose adapter is built on the first call of one of its methods: the call waits for the
 * load, then goes to the adapter, as every later call does.
 *
 * @example
 * const archive = deferredPort<DeadLetterArchive>(["put"], async () =>
 *   new (await import("../adapters/S3DeadLetterArchive")).S3DeadLetterArchive({ client: await s3(), bucket }),
 * );
 */
export function deferredPort<T extends AsyncPort<T>>(
  methods: readonly (keyof T)[],
  load: () => Promise<T>,
): T {
  const adapter = loadOnce(load);
  const port: Partial<Record<keyof T, unknown>> = {};
  for (const method of methods) {
    port[method] = async (...args: unknown[]) => {
      const target = await adapter();
      return (target[method] as (...forwarded: unknown[]) => Promise<unknown>).apply(target, args);
    };
  }
  return port as T;
}
