/**
 * What the canary runs against: the canary's topics, the processor's name and partial-response key, and
 * the configuration (functions/lib/config.ts) its clients are built from, so the tool connects to
 * Kafka, S3 and DynamoDB exactly as the function does.
 */
import { type CanaryTopics, canaryTopics } from "../../functions/lib/canary/canaryRecord";
import { CANARY_STACK_OUTPUTS, KAFKA_CONNECTION_OUTPUTS } from "../../functions/lib/canary/stackOutputs";
import { type Config, loadConfig } from "../../functions/lib/config";
import type { CanaryCommand } from "./commandLine";
import { CanaryUsageError } from "./errors";
import type { StackOutputs } from "./stackOutputs";

export interface CanaryDeployment {
  /** For the first line: `stack KafkaLambdaPipeline` or `the local stack`. */
  readonly label: string;
  readonly local: boolean;
  readonly topics: CanaryTopics;
  readonly functionName: string;
  readonly config: Config;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The emulated processor's name, as the emulator reports it in dead letters. */
export const LOCAL_FUNCTION_NAME = "kafka-processor";

/**
 * A deployed stack, from its outputs. The Kafka connection comes from the outputs (flags override
 * them), never from stray KAFKA_* variables of the shell; unset endpoints mean AWS.
 */
export function deploymentFromOutputs(
  stack: StackOutputs,
  command: CanaryCommand,
  env: Env,
  region: string,
): CanaryDeployment {
  const output = (name: string): string | undefined => stack.outputs[name];
  const required = (name: string, why: string): string => {
    const value = output(name);
    if (value === undefined || value === "") {
      throw new CanaryUsageError(`stack "${stack.stackName}" has no output ${name}: ${why}`);
    }
    return value;
  };
  const deployWithCanary = 'deploy it with "canary": true (README, "Prove a deployment: the canary")';
  const source = required(CANARY_STACK_OUTPUTS.canaryTopic, deployWithCanary);
  const topics = canaryTopics(source);
  const fromOutputs: Record<string, string | undefined> = {
    ...Object.fromEntries(
      Object.entries(KAFKA_CONNECTION_OUTPUTS).map(([variable, name]) => [variable, output(name)]),
    ),
    ARCHIVE_BUCKET: required(CANARY_STACK_OUTPUTS.archiveBucket, deployWithCanary),
    ARCHIVE_PREFIX: output(CANARY_STACK_OUTPUTS.archivePrefix),
    DEAD_LETTER_TABLE: required(CANARY_STACK_OUTPUTS.deadLetterTable, deployWithCanary),
    ATTEMPTS_TABLE: required(CANARY_STACK_OUTPUTS.attemptsTable, deployWithCanary),
    FAILURE_KEY_NAME: output(CANARY_STACK_OUTPUTS.failureKeyName),
    AWS_REGION: region,
  };
  if (fromOutputs.KAFKA_BROKERS === undefined && command.kafkaVariables.KAFKA_BROKERS === undefined) {
    throw new CanaryUsageError(
      `stack "${stack.stackName}" has no output ${KAFKA_CONNECTION_OUTPUTS.KAFKA_BROKERS}: pass --brokers`,
    );
  }
  const shell = Object.fromEntries(
    Object.entries(env).filter(([name]) => !(name in KAFKA_CONNECTION_OUTPUTS)),
  );
  const merged = {
    ...shell,
    ...definedOnly(fromOutputs),
    ...command.kafkaVariables,
    KAFKA_CLIENT_ID: "kafka-canary",
  };
  const config = loadConfig(merged);
  return {
    label: `stack ${stack.stackName}`,
    local: false,
    topics,
    functionName: required(CANARY_STACK_OUTPUTS.processorFunctionName, deployWithCanary),
    config: {
      ...config,
      aws: {
        ...config.aws,
        // Endpoint overrides only when asked for (a test double of AWS); otherwise the real services.
        s3Endpoint: env.S3_ENDPOINT ? config.aws.s3Endpoint : undefined,
        dynamodbEndpoint: env.DYNAMODB_ENDPOINT ? config.aws.dynamodbEndpoint : undefined,
      },
    },
  };
}

/** The local stack: the functions' own defaults (KAFKA_PORT, S3_PORT, ... respected), flags on top. */
export function localDeployment(command: CanaryCommand, env: Env, topic: string): CanaryDeployment {
  const config = loadConfig({ ...env, ...command.kafkaVariables, KAFKA_CLIENT_ID: "kafka-canary" });
  return {
    label: "the local stack (mapping emulator, bundled processor)",
    local: true,
    topics: canaryTopics(topic),
    functionName: LOCAL_FUNCTION_NAME,
    config,
  };
}

function definedOnly(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined));
}
