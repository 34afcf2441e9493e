/**
 * Application class-data sharing (AppCDS) for the JVM services.
 *
 * Three JVMs starting at once on two cores spend most of their start loading and verifying classes;
 * a class archive written by one clean run cuts Kafka's start CPU by about a third on the next. JDK 17
 * can only write the archive when the JVM exits, so the first run dumps to `cds.jsa.tmp` and a clean
 * stop promotes it. A truncated archive crashes the JVM (SIGBUS), hence never using the file of a
 * run that was killed, and a new JDK or new jars starting over.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { JavaTools } from "./tools";
import type { ServiceName, StackLayout } from "./types";

function paths(layout: StackLayout, service: ServiceName) {
  const dir = layout.serviceLib(service);
  return { archive: join(dir, "cds.jsa"), pending: join(dir, "cds.jsa.tmp"), key: join(dir, "cds.key") };
}

/**
 * JVM options: use the archive when one matches this JDK, else write one at exit unless `writeArchive`
 * is false (CI: a fresh clone starts once, so writing costs seconds at stop and never pays back).
 */
export async function classDataSharingArgs(
  layout: StackLayout,
  service: ServiceName,
  java: JavaTools,
  writeArchive: boolean,
): Promise<string[]> {
  const { archive, pending, key } = paths(layout, service);
  const expected = createHash("sha256").update(`${java.java}\n${java.versionText}`).digest("hex");
  if (existsSync(archive) && (await readFile(key, "utf8").catch(() => "")) === expected) {
    return [`-XX:SharedArchiveFile=${archive}`];
  }
  await rm(archive, { force: true });
  await rm(pending, { force: true });
  if (!writeArchive) return [];
  await writeFile(key, expected);
  return [`-XX:ArchiveClassesAtExit=${pending}`];
}

/** After a stop: keep the archive a clean exit wrote, drop one a killed JVM may have half written. */
export async function settleClassDataArchive(
  layout: StackLayout,
  service: ServiceName,
  cleanExit: boolean,
): Promise<void> {
  const { archive, pending } = paths(layout, service);
  if (!existsSync(pending)) return;
  if (cleanExit) await rename(pending, archive);
  else await rm(pending, { force: true });
}
