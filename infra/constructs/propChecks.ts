import { PipelinePropsError } from "./errors";

/** `value` if it is an integer in [min, max], else an error naming `prop`. */
export function integer(prop: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PipelinePropsError(prop, `must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

export function nonEmpty(prop: string, value: string): string {
  if (value.trim() === "") throw new PipelinePropsError(prop, "must not be empty");
  return value;
}
