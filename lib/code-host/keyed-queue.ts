/**
 * Runs work one at a time per key in this process (the next waits for the previous, whatever its
 * outcome), so that two publishes to one pull request never both create its sticky comment.
 * Keys are forgotten once their queue is empty.
 */
export function keyedQueue(): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  const queues = new Map<string, Promise<unknown>>();
  return <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const previous = queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(work);
    queues.set(key, next);
    void next.catch(() => {}).finally(() => {
      if (queues.get(key) === next) queues.delete(key);
    });
    return next;
  };
}
