import { type Config, loadConfig } from "../../functions/lib/config";
import { type CommandLine, stringFlag } from "./commandLine";

/** Flags that override the environment variables the functions read, so both see the same names. */
const FLAG_VARIABLES: Readonly<Record<string, string>> = {
  region: "AWS_REGION",
  "s3-endpoint": "S3_ENDPOINT",
  "dynamodb-endpoint": "DYNAMODB_ENDPOINT",
  brokers: "KAFKA_BROKERS",
  table: "DEAD_LETTER_TABLE",
  "attempts-table": "ATTEMPTS_TABLE",
};

/**
 * The configuration a command runs with: the functions' own `loadConfig` over the environment and
 * the flags. Without `--aws` (or `DLQ_TARGET=aws`) unset endpoints mean the local stack, as for the
 * functions run locally; with it they mean AWS, reached through the standard credential chain.
 */
export function commandConfig(
  line: CommandLine,
  env: Readonly<Record<string, string | undefined>>,
): { config: Config; env: Readonly<Record<string, string | undefined>> } {
  const merged: Record<string, string | undefined> = { ...env };
  for (const [flag, variable] of Object.entries(FLAG_VARIABLES)) {
    const value = stringFlag(line.values, flag);
    if (value !== undefined) merged[variable] = value;
  }
  const config = loadConfig(merged);
  const onAws = line.values.aws === true || merged.DLQ_TARGET === "aws";
  if (!onAws) return { config, env: merged };
  return {
    config: {
      ...config,
      aws: {
        ...config.aws,
        s3Endpoint: merged.S3_ENDPOINT ? config.aws.s3Endpoint : undefined,
        dynamodbEndpoint: merged.DYNAMODB_ENDPOINT ? config.aws.dynamodbEndpoint : undefined,
      },
    },
    env: merged,
  };
}
