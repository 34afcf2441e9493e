/**
 * Lets the event loop run I/O callbacks (responses to requests already sent) before more CPU work:
 * a batch's planning is thousands of synchronous steps, during which no response could be handled.
 * `setImmediate` runs after the poll phase, so pending socket reads go first.
 */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
