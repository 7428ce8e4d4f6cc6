// Running independent jobs a few at a time: builds and emulator runs are what the two cores of a
// lab machine do side by side.

/** `run` on every item, at most `parallel` at once, the results in the items' order. */
export async function mapConcurrently<T, R>(items: readonly T[], parallel: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await run(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return results;
}
