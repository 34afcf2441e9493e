/**
 * Record errors are outcomes for data: built by the thousand in a dead-letter storm, they carry no
 * stack (capturing one cost 10-40 µs each), while their cause keeps its own.
 */
import { describe, expect, it } from "vitest";
import {
  DecodeError,
  PipelineError,
  SchemaViolationError,
  TransformError,
} from "../../../functions/lib/core/errors";

describe("record errors", () => {
  it("capture no stack frames, and leave the stack trace limit as it was", () => {
    const before = Error.stackTraceLimit;
    const error = new SchemaViolationError([{ path: "age", message: "Too small" }]);

    expect(error.stack).toBe("SchemaViolationError: age: Too small");
    expect(Error.stackTraceLimit).toBe(before);
    expect(new DecodeError("value is not valid UTF-8").stack).not.toContain("    at ");
  });

  it("keep the stack of the error they wrap, and other pipeline errors keep theirs", () => {
    const thrown = new Error("user code failed");
    const wrapped = new TransformError(thrown);

    expect(wrapped.stack).not.toContain("    at ");
    expect((wrapped.cause as Error).stack).toContain("    at ");
    expect(new PipelineError("a bug").stack).toContain("    at ");
  });
});
