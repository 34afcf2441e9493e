/**
 * Merges sources that are each already sorted into one sorted stream, pulling one item ahead per
 * source: how several index queries (one per status) become one listing without reading them all.
 */
export async function* mergeOrdered<T>(
  sources: readonly AsyncIterable<T>[],
  comesFirst: (a: T, b: T) => boolean,
): AsyncGenerator<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const heads: (IteratorResult<T> | undefined)[] = await Promise.all(iterators.map((it) => it.next()));
  try {
    for (;;) {
      let pick = -1;
      for (const [i, head] of heads.entries()) {
        if (head === undefined || head.done) continue;
        const best = heads[pick];
        if (pick < 0 || (best !== undefined && !best.done && comesFirst(head.value, best.value))) pick = i;
      }
      const chosen = heads[pick];
      if (pick < 0 || chosen === undefined || chosen.done) return;
      yield chosen.value;
      heads[pick] = await (iterators[pick] as AsyncIterator<T>).next();
    }
  } finally {
    await Promise.all(iterators.map((it) => it.return?.()));
  }
}
