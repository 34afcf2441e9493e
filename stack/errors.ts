/**
 * Errors of the local stack. Each names the service and, when there is one, the log file to open,
 * because "timed out" alone sends people to the wrong place.
 */
import type { ServiceName } from "./types";

export class StackError extends Error {
  readonly service: ServiceName | undefined;

  constructor(message: string, options: { service?: ServiceName; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.service = options.service;
  }
}

/** `java`, `javac` or `mvn` is not installed; Docker is the other way to get the same services. */
export class MissingToolError extends StackError {
  readonly tool: string;

  constructor(tool: string, problem: string) {
    super(
      `${tool} ${problem}. The local stack runs Kafka, DynamoDB Local and S3Proxy on a JDK 17+ with ` +
        "Maven; install both, or start the same services with `docker compose up -d` " +
        "(docker-compose.yml) and run `npm run stack:up` to provision them.",
    );
    this.tool = tool;
  }
}

/** A service did not become ready; carries the tail of its log so the cause is on screen. */
export class ServiceStartError extends StackError {
  readonly logFile: string;
  readonly logTail: string;

  constructor(
    service: ServiceName,
    problem: string,
    logFile: string,
    logTail: string,
    errorLines: readonly string[] = [],
  ) {
    const errors =
      errorLines.length === 0 ? "" : `\nerrors in the log:\n${errorLines.map((l) => `  ${l}`).join("\n")}`;
    const tail = logTail === "" ? "" : `\n--- last lines of ${logFile} ---\n${logTail}`;
    super(`${service} ${problem}. Log: ${logFile}${errors}${tail}`, { service });
    this.logFile = logFile;
    this.logTail = logTail;
  }
}
