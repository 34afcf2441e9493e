/**
 * The deployed stack's outputs, from CloudFormation (DescribeStacks,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html) or from
 * the file `cdk deploy --outputs-file <file>` writes: `{ "<stack name>": { "<output key>": "<value>" } }`.
 */
import { readFileSync } from "node:fs";
import { type CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CanaryUsageError } from "./errors";

export interface StackOutputs {
  readonly stackName: string;
  readonly outputs: Readonly<Record<string, string>>;
}

export async function describeStackOutputs(
  client: CloudFormationClient,
  stackName: string,
): Promise<StackOutputs> {
  let stack: { Outputs?: { OutputKey?: string; OutputValue?: string }[] } | undefined;
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    stack = Stacks?.[0];
  } catch (error) {
    // CloudFormation answers a stack that does not exist with a ValidationError.
    if ((error as { name?: string }).name === "ValidationError") {
      throw new CanaryUsageError(`stack "${stackName}": ${(error as Error).message}`);
    }
    throw error;
  }
  const outputs: Record<string, string> = {};
  for (const output of stack?.Outputs ?? []) {
    if (output.OutputKey !== undefined && output.OutputValue !== undefined)
      outputs[output.OutputKey] = output.OutputValue;
  }
  return { stackName, outputs };
}

/** The outputs of one stack of a `cdk deploy --outputs-file` file: the one named, or the only one. */
export function readOutputsFile(file: string, stackName: string | undefined): StackOutputs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CanaryUsageError(`--outputs ${file} cannot be read as JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CanaryUsageError(
      `--outputs ${file} is not a cdk outputs file ({"<stack>": {"<output>": "<value>"}})`,
    );
  }
  const stacks = parsed as Record<string, unknown>;
  const names = Object.keys(stacks);
  const chosen = stackName ?? (names.length === 1 ? names[0] : undefined);
  if (chosen === undefined) {
    throw new CanaryUsageError(
      `--outputs ${file} holds ${names.length} stacks; name one with --stack: ${names.join(", ")}`,
    );
  }
  const outputs = stacks[chosen];
  if (typeof outputs !== "object" || outputs === null) {
    throw new CanaryUsageError(
      `--outputs ${file} has no stack "${chosen}" (it has ${names.join(", ") || "none"})`,
    );
  }
  return {
    stackName: chosen,
    outputs: Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, String(value)])),
  };
}
