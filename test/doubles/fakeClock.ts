/**
 * Time for a processor under test: sleeping advances the clock at once, so retries run to their
 * deadline without waiting and without depending on how loaded the machine is.
 */
export function fakeClock(start = 0): { now: () => number; sleep: (ms: number) => Promise<void> } {
  let clock = start;
  return {
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  };
}
