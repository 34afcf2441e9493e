/**
 * Reading a stack's outputs with CloudFormation. No CloudFormation runs here, so a stub client stands
 * in for its two answers: a stack with outputs, and the ValidationError for a stack that does not exist.
 */
import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { describe, expect, it } from "vitest";
import { describeStackOutputs } from "../../../tools/canary/stackOutputs";

const client = (answer: () => unknown) => ({ send: async () => answer() }) as unknown as CloudFormationClient;

describe("describeStackOutputs", () => {
  it("maps each OutputKey to its OutputValue", async () => {
    const stack = client(() => ({
      Stacks: [
        {
          Outputs: [
            { OutputKey: "CanaryTopic", OutputValue: "Shop.canary" },
            { OutputKey: "Region", OutputValue: "eu-west-1" },
          ],
        },
      ],
    }));

    await expect(describeStackOutputs(stack, "Shop")).resolves.toEqual({
      stackName: "Shop",
      outputs: { CanaryTopic: "Shop.canary", Region: "eu-west-1" },
    });
  });

  it("turns CloudFormation's answer for an unknown stack into bad input, and lets other failures through", async () => {
    const missing = client(() => {
      throw Object.assign(new Error("Stack with id Nope does not exist"), { name: "ValidationError" });
    });
    const denied = client(() => {
      throw Object.assign(new Error("not authorized to perform: cloudformation:DescribeStacks"), {
        name: "AccessDenied",
      });
    });

    await expect(describeStackOutputs(missing, "Nope")).rejects.toMatchObject({
      name: "CanaryUsageError",
      message: 'stack "Nope": Stack with id Nope does not exist',
    });
    await expect(describeStackOutputs(denied, "Shop")).rejects.toMatchObject({ name: "AccessDenied" });
  });
});
