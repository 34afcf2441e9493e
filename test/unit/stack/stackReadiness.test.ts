/**
 * The integration setup starts the stack in the background and tells the test workers through a
 * file when it answers (test/support/stackReadiness.ts); a file that needs the stack waits for it.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  removeStackReady,
  stackReadyFile,
  waitForStackReady,
  writeStackReady,
} from "../../support/stackReadiness";

const files: string[] = [];
afterEach(async () => {
  for (const file of files.splice(0)) await removeStackReady(file);
});

function newFile(): string {
  const file = stackReadyFile();
  files.push(file);
  return file;
}

describe("stack readiness", () => {
  it("waits until the setup says the stack answers", async () => {
    const file = newFile();
    let settled = false;
    const waiting = waitForStackReady(file, 10_000).then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(settled).toBe(false);

    await writeStackReady(file, undefined);
    await waiting;
    expect(settled).toBe(true);
  });

  it("fails a waiting file with the cause the setup met", async () => {
    const file = newFile();
    await writeStackReady(file, "kafka node 1 did not answer within the start timeout");

    await expect(waitForStackReady(file, 10_000)).rejects.toThrow(
      "the local stack did not start: kafka node 1 did not answer within the start timeout",
    );
  });

  it("gives up after its timeout when nothing is said", async () => {
    await expect(waitForStackReady(newFile(), 300)).rejects.toThrow("did not answer within 300 ms");
  });

  it("names a file of its own for each test run", () => {
    expect(stackReadyFile()).not.toBe(stackReadyFile());
  });
});
