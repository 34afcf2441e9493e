/**
 * The benchmarks run functions at the construct's default memory size, with the heap flags Lambda
 * gives it; they cannot import the construct's defaults (aws-cdk-lib), so they keep a copy.
 */
import { describe, expect, it } from "vitest";
import { CONSTRUCT_MEMORY_MB } from "../../bench/lambdaCost";
import { DEFAULTS } from "../../infra/constructs/defaults";

describe("the benchmarks' memory size", () => {
  it("is the construct's default", () => {
    expect(CONSTRUCT_MEMORY_MB).toBe(DEFAULTS.memorySize);
  });
});
