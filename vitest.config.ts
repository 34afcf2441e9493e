import { defineConfig } from "vitest/config";
import { StackLastSequencer } from "./test/support/stackLastSequencer";

/**
 * Test files that break the shared stack for everyone while they run: they kill, pause or stop
 * brokers, move leaderships, or stop services. They run one at a time, after every other file.
 */
const STACK_FAULT_FILES = [
  "test/integration/stack/cluster.test.ts",
  "test/integration/stack/lifecycle.test.ts",
  "test/integration/processor/processor.brokerDown.test.ts",
  "test/integration/processor/sinkAcrossBrokers.test.ts",
  "test/integration/processor/sinkAcrossBrokers.platformatic.test.ts",
  "test/integration/processor/sinkAfterPause.test.ts",
  "test/e2e/emulator.brokerRestart.test.ts",
  "test/e2e/chaos.test.ts",
];

const STACK = {
  globalSetup: ["test/support/stackSetup.ts"],
  // The stack starts in the background: each file waits here until it answers.
  setupFiles: ["test/support/stackReady.ts"],
  testTimeout: 120_000,
  hookTimeout: 300_000,
};

/**
 * Workers of group 0. Vitest runs the groups one after another, and every project of a group must
 * have the same `maxWorkers`; left unset it is the CPU count minus one, so on two cores group 1 once
 * ran the unit and infra files one at a time in the fault chain's single worker (about 150 s of a
 * 630 s run), and on more cores the config was refused outright.
 */
const GROUP_0_WORKERS = 2;

// Projects so that unit tests never wait for the local stack, and the stack is started once
// (global setup) only when a project that needs real services runs. Group 0: the unit and infra
// tests beside the integration files that leave the stack as they found it, two at a time (those
// wait on the stack more than they use the CPU, which the unit and infra files use). Group 1, after
// them: the files that inject faults into the stack, one at a time. The global setup only starts
// the stack: the unit and infra files run first while it comes up (StackLastSequencer), and each
// file that needs it waits for it (the setup file); a fresh clone's files waited 31 s for it before.
export default defineConfig({
  test: {
    sequence: { sequencer: StackLastSequencer },
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          maxWorkers: GROUP_0_WORKERS,
        },
      },
      {
        test: {
          name: "infra",
          include: ["test/infra/**/*.test.ts"],
          maxWorkers: GROUP_0_WORKERS,
          // Synthesizing a stack bundles the functions with esbuild: seconds, not milliseconds.
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"],
          exclude: STACK_FAULT_FILES,
          ...STACK,
          maxWorkers: GROUP_0_WORKERS,
        },
      },
      {
        test: {
          name: "stack-faults",
          include: STACK_FAULT_FILES,
          ...STACK,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
