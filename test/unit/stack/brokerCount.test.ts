import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  forgetBrokerCount,
  recordBrokerCount,
  recordedBrokerCount,
  resolveBrokerCount,
} from "../../../stack/brokerCount";
import { stackLayout } from "../../../stack/layout";
import type { StackLayout } from "../../../stack/types";

describe("resolveBrokerCount", () => {
  let dir: string;
  let layout: StackLayout;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "stack-brokers-"));
    layout = stackLayout({ stackDir: dir });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("is one broker when nothing asks for more and no cluster was started", () => {
    expect(resolveBrokerCount({ env: {} }, layout)).toBe(1);
  });

  it("takes the running cluster's count, so status, down and faults see all its nodes", async () => {
    await recordBrokerCount(layout, 3);

    expect(resolveBrokerCount({ env: {} }, layout)).toBe(3);
  });

  it("prefers --brokers over STACK_KAFKA_BROKERS over the record", async () => {
    await recordBrokerCount(layout, 1);

    expect(resolveBrokerCount({ env: { STACK_KAFKA_BROKERS: "2" } }, layout)).toBe(2);
    expect(resolveBrokerCount({ brokers: 3, env: { STACK_KAFKA_BROKERS: "2" } }, layout)).toBe(3);
  });

  it("forgets the count at stack:down", async () => {
    await recordBrokerCount(layout, 3);

    await forgetBrokerCount(layout);

    expect(recordedBrokerCount(layout)).toBeUndefined();
  });

  it("ignores a damaged record", async () => {
    await recordBrokerCount(layout, 3);
    await writeFile(join(layout.runDir, "kafka-brokers"), "lots\n");

    expect(resolveBrokerCount({ env: {} }, layout)).toBe(1);
  });

  it("refuses a bad STACK_KAFKA_BROKERS instead of guessing", () => {
    expect(() => resolveBrokerCount({ env: { STACK_KAFKA_BROKERS: "5" } }, layout)).toThrow(
      /STACK_KAFKA_BROKERS must be a number of brokers from 1 to 3, got "5"/,
    );
  });
});
