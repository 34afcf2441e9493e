import { defineConfig } from "vitest/config";

// Three projects so that unit tests never wait for the local stack, and the stack is started once
// (global setup) only when a project that needs real services runs.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "infra",
          include: ["test/infra/**/*.test.ts"],
          // Synthesizing a stack bundles the functions with esbuild: seconds, not milliseconds.
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"],
          globalSetup: ["test/support/stackSetup.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // One stack (three Kafka brokers, one DynamoDB Local, one S3 server; see test/support/
          // stackSetup.ts): files share it and some kill its brokers, so run files one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
