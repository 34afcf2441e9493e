import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { classDataSharingArgs, settleClassDataArchive } from "../../../stack/classDataSharing";
import { stackLayout } from "../../../stack/layout";
import type { JavaTools } from "../../../stack/tools";
import type { StackLayout } from "../../../stack/types";

const jdk17: JavaTools = {
  java: "java",
  javac: "javac",
  majorVersion: 17,
  versionText: 'openjdk version "17.0.15"',
};
const jdk21: JavaTools = { ...jdk17, majorVersion: 21, versionText: 'openjdk version "21.0.4"' };

describe("AppCDS archive lifecycle", () => {
  let dir: string;
  let layout: StackLayout;
  const archive = () => join(layout.serviceLib("kafka"), "cds.jsa");
  const pending = () => `${archive()}.tmp`;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "stack-cds-"));
    layout = stackLayout({ stackDir: dir });
    await mkdir(layout.serviceLib("kafka"), { recursive: true });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("writes an archive at exit on the first run and uses it after a clean stop", async () => {
    const first = await classDataSharingArgs(layout, "kafka", jdk17, true);
    await writeFile(pending(), "archive bytes");
    await settleClassDataArchive(layout, "kafka", true);
    const second = await classDataSharingArgs(layout, "kafka", jdk17, true);

    expect(first).toEqual([`-XX:ArchiveClassesAtExit=${pending()}`]);
    expect(second).toEqual([`-XX:SharedArchiveFile=${archive()}`]);
  });

  it("drops what a killed JVM may have half written", async () => {
    await classDataSharingArgs(layout, "kafka", jdk17, true);
    await writeFile(pending(), "truncated");

    await settleClassDataArchive(layout, "kafka", false);

    expect(existsSync(pending())).toBe(false);
    expect(existsSync(archive())).toBe(false);
  });

  it("starts over when the JDK changed", async () => {
    await classDataSharingArgs(layout, "kafka", jdk17, true);
    await writeFile(pending(), "archive bytes");
    await settleClassDataArchive(layout, "kafka", true);

    const args = await classDataSharingArgs(layout, "kafka", jdk21, true);

    expect(args).toEqual([`-XX:ArchiveClassesAtExit=${pending()}`]);
    expect(existsSync(archive())).toBe(false);
  });

  it("writes nothing when told not to (CI)", async () => {
    expect(await classDataSharingArgs(layout, "kafka", jdk17, false)).toEqual([]);
  });
});
