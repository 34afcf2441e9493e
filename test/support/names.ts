import { randomBytes } from "node:crypto";

/** Distinguishes this test run's topics, groups and keys from earlier runs on a kept broker. */
export const RUN_ID = `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;

/** A name no earlier or concurrent test run uses, e.g. `it.kafka.lq2x9c-1a2b3c.roundtrip`. */
export function uniqueName(prefix: string, suffix?: string): string {
  return [prefix, RUN_ID, suffix].filter((part) => part !== undefined).join(".");
}
