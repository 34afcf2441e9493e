/**
 * How the integration setup (the main Vitest process) tells test workers that the local stack it
 * starts in the background answers: a file it writes once `startStack` settles, named in an
 * environment variable the workers inherit. The file says the error when the start failed, so
 * every file that needs the stack fails with the cause instead of timing out.
 */
import { randomUUID } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const STACK_READY_VARIABLE = "STACK_READY_FILE";

/** As long as the setup's own hook timeout: the first start on a machine fetches the jars. */
const READY_TIMEOUT_MS = 300_000;

interface Readiness {
  readonly error?: string;
}

/** A file of this test run alone: two runs may share one stack (see stack/leases.ts). */
export function stackReadyFile(): string {
  return join(tmpdir(), `kafka-lambda-stack-ready-${process.pid}-${randomUUID()}.json`);
}

export async function writeStackReady(file: string, error: string | undefined): Promise<void> {
  const readiness: Readiness = error === undefined ? {} : { error };
  await writeFile(file, JSON.stringify(readiness));
}

export async function removeStackReady(file: string | undefined): Promise<void> {
  if (file !== undefined) await rm(file, { force: true });
}

/** Resolves once the stack answers; throws with the setup's error when it did not start. */
export async function waitForStackReady(file: string, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text !== undefined) {
      const { error } = JSON.parse(text) as Readiness;
      if (error !== undefined) throw new Error(`the local stack did not start: ${error}`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`the local stack did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
