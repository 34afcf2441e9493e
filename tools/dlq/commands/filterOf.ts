import type { DeadLetterStatus } from "../../../functions/lib/adapters/DynamoDeadLetterIndex";
import { parseDeadLetterFilter } from "../../../functions/lib/redrive/deadLetterFilter";
import { RedriveInputError } from "../../../functions/lib/redrive/errors";
import type { DeadLetterCatalog } from "../../../functions/lib/redrive/ports";
import type { DeadLetterFilter } from "../../../functions/lib/redrive/types";
import type { CommandContext } from "../CommandContext";
import { flagName, stringFlag } from "../commandLine";

/** The filter flags of a command, validated by the same code as the Lambda's event. */
export function filterOf(
  context: CommandContext,
  defaultStatuses: readonly DeadLetterStatus[],
): DeadLetterFilter {
  return parseDeadLetterFilter(filterFlags(context), {
    now: context.io.now(),
    defaultStatuses,
    nameOf: flagName,
  });
}

/** The filter flags and ids as typed, shared by every command that selects dead letters. */
export function filterFlags(context: CommandContext) {
  const v = context.line.values;
  return {
    ids: context.line.positionals,
    topic: stringFlag(v, "topic"),
    since: stringFlag(v, "since"),
    until: stringFlag(v, "until"),
    stage: stringFlag(v, "stage"),
    errorClass: stringFlag(v, "error-class"),
    status: stringFlag(v, "status"),
  };
}

/**
 * An empty result for a topic the index has never seen is most likely a typo: said so, as bad
 * input, instead of an empty table that looks like good news.
 */
export async function checkKnownTopic(catalog: DeadLetterCatalog, filter: DeadLetterFilter): Promise<void> {
  if (filter.topic !== undefined && !(await catalog.hasTopic(filter.topic))) {
    throw new RedriveInputError(`unknown topic "${filter.topic}": no dead letter was ever recorded for it`);
  }
}
