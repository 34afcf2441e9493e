/**
 * The JDK and Maven the JVM services need, found once and checked up front: a missing `mvn` halfway
 * through a start would leave a broker running without its neighbours.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { MissingToolError } from "./errors";

export interface JavaTools {
  readonly java: string;
  readonly javac: string;
  readonly majorVersion: number;
  /** `java -version` output, which identifies the exact JDK build. */
  readonly versionText: string;
}

const MIN_JAVA = 17;

/** `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` on PATH; requires 17 or newer. */
export function findJava(env: Readonly<Record<string, string | undefined>> = process.env): JavaTools {
  const home = env.JAVA_HOME?.trim();
  const java = home ? join(home, "bin", "java") : "java";
  const javac = home ? join(home, "bin", "javac") : "javac";
  const versionText = run(java, ["-version"], "java");
  const majorVersion = parseJavaMajorVersion(versionText);
  if (majorVersion === undefined) {
    throw new MissingToolError(
      java,
      `printed a version this script cannot read: ${versionText.split("\n")[0]}`,
    );
  }
  if (majorVersion < MIN_JAVA) {
    throw new MissingToolError(java, `is Java ${majorVersion}; Kafka 4 needs Java ${MIN_JAVA} or newer`);
  }
  run(javac, ["-version"], "javac");
  return { java, javac, majorVersion, versionText };
}

/** `mvn` on PATH; only needed the first time, to fetch the jars. */
export function findMaven(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const mvn = env.MVN?.trim() || "mvn";
  run(mvn, ["-v"], "mvn");
  return mvn;
}

/** Reads `17` from `openjdk version "17.0.15"` and `8` from `java version "1.8.0_392"`. */
export function parseJavaMajorVersion(versionText: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionText);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

function run(command: string, args: string[], tool: string): string {
  const result = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new MissingToolError(tool, `was not found (looked for "${command}")`);
    throw new MissingToolError(tool, `did not run: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new MissingToolError(
      tool,
      `failed (exit ${result.status}): ${result.stderr.trim().split("\n")[0]}`,
    );
  }
  // `java -version` prints to stderr.
  return `${result.stdout}${result.stderr}`;
}
