/**
 * kafkajs 2.2.4 schedules its throttle check with `setTimeout(fn, throttledUntil - now)` while
 * `throttledUntil` is -1, so Node 24 prints a TimeoutNegativeWarning (and clamps the delay to 1 ms,
 * which is what kafkajs meant). In Lambda that is one unstructured line per connection in the
 * function's logs; other warnings are still printed as usual.
 */
let silenced = false;

export function silenceKafkajsTimeoutWarning(): void {
  if (silenced) return;
  silenced = true;
  const original = process.listeners("warning");
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name === "TimeoutNegativeWarning") return;
    for (const listener of original) listener(warning);
  });
}
