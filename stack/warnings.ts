/**
 * kafkajs 2.2.4 schedules its throttle check with `setTimeout(fn, throttledUntil - now)` while
 * `throttledUntil` is -1, so Node 24 prints a TimeoutNegativeWarning (and clamps the delay to 1 ms,
 * which is what kafkajs meant). The warning is noise on every admin connection; other warnings are
 * still printed as usual.
 */
export function silenceKafkajsTimeoutWarning(): void {
  const original = process.listeners("warning");
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name === "TimeoutNegativeWarning") return;
    for (const listener of original) listener(warning);
  });
}
