import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Admin, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localKafkaConfig } from "../../../stack/clients";
import { pipelineTopics } from "./support";

const CLI = fileURLToPath(new URL("../../../tools/dlq/cli.ts", import.meta.url));

/** Runs the real CLI as an operator would (`npm run dlq -- ...` is `tsx tools/dlq/cli.ts ...`). */
function dlq(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      env: { ...process.env, NODE_OPTIONS: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the dlq CLI's answers to bad input and failures: one line, no stack trace", () => {
  const kafka = new Kafka(localKafkaConfig({ clientId: "it-dlq-cli" }));
  let admin: Admin;
  let topics: Awaited<ReturnType<typeof pipelineTopics>>;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    topics = await pipelineTopics(admin, "cli");
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
  });

  it.concurrent.each([
    [["show", "it.dlq.nobody:0:1"], 2, 'dlq: no dead letter with id "it.dlq.nobody:0:1"'],
    [
      ["list", "--topic", "it.dlq.never-seen"],
      2,
      'dlq: unknown topic "it.dlq.never-seen": no dead letter was ever recorded for it',
    ],
    [
      ["redrive", "--to-topic", "it.dlq.does-not-exist"],
      2,
      'dlq: unknown topic "it.dlq.does-not-exist": not in the cluster',
    ],
    [["list", "--since", "last tuesday"], 2, 'dlq: --since "last tuesday" is not a time'],
    [
      ["stats", "--since", "2026-11-22", "--until", "2026-11-01"],
      2,
      "dlq: --since (2026-11-22T00:00:00.000Z) must be before --until",
    ],
    [["replay"], 2, 'dlq: unknown command "replay"'],
    [
      ["list", "--dynamodb-endpoint", "http://127.0.0.1:1"],
      1,
      "dlq: querying byStatus of dead-letters failed",
    ],
  ])("dlq %j exits %i", async (args, code, message) => {
    const result = await dlq(...args);

    expect(result.code).toBe(code);
    expect(result.stdout).toBe("");
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("redrives to an existing topic in a dry run with exit 0", async () => {
    const result = await dlq("redrive", "--topic", topics.source, "--dry-run");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain("would replay 0");
    expect(result.stderr).toContain("dry run: nothing was produced or changed");
  });
});
