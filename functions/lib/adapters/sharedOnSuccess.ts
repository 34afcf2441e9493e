/**
 * A value given as is, or built on first use and shared by every later use; a build that fails is
 * forgotten, so the next use tries again (a secret that could not be read yet, say) instead of
 * failing forever in a warm container.
 *
 * @example
 * const client = sharedOnSuccess(() => createKafka(config));
 * const kafka = await client(); // built once, reused by a replaced producer
 */
export function sharedOnSuccess<T>(source: T | (() => Promise<T>)): () => Promise<T> {
  if (typeof source !== "function") {
    const ready = Promise.resolve(source);
    return () => ready;
  }
  const build = source as () => Promise<T>;
  let shared: Promise<T> | undefined;
  return () => {
    if (shared === undefined) {
      const built = build();
      shared = built;
      built.catch(() => {
        if (shared === built) shared = undefined;
      });
    }
    return shared;
  };
}
