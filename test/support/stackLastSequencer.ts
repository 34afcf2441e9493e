/**
 * Vitest's own order, except that within a group the files of projects without a global setup (unit,
 * infra) come before those of projects that use the local stack (integration): the stack starts in
 * the background (stackSetup.ts) while the first ones run, instead of every file waiting for it.
 * Vitest orders projects by name otherwise, which put `integration` before `unit`.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

export class StackLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const needsStack = (spec: TestSpecification) => (spec.project.config.globalSetup.length > 0 ? 1 : 0);
    // Array#sort is stable: Vitest's order stays within each part.
    return sorted.sort(
      (a, b) =>
        a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder ||
        needsStack(a) - needsStack(b),
    );
  }
}
