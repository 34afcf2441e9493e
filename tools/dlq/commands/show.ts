import type { DeadLetterEnvelope } from "../../../functions/lib/core/deadLetter";
import { DEAD_LETTER_ID } from "../../../functions/lib/redrive/deadLetterFilter";
import { ArchiveUnreadableError, DeadLetterNotFoundError } from "../../../functions/lib/redrive/errors";
import type { Command } from "../CommandContext";
import { EXIT_CODES } from "../exitCodes";
import { renderDeadLetter } from "../format";
import { UsageError } from "../UsageError";

/** `dlq show <id>`: the index item, then the archived envelope with its payload decoded. */
export const showCommand: Command = async (context) => {
  const id = context.line.positionals[0] ?? "";
  if (!DEAD_LETTER_ID.test(id))
    throw new UsageError(`"${id}" is not a dead-letter id: ids look like <topic>:<partition>:<offset>`);
  const { catalog, envelopes } = context.tools();
  const letter = await catalog.get(id);
  if (letter === undefined) throw new DeadLetterNotFoundError(id);
  let envelope: DeadLetterEnvelope | undefined;
  let unreadable: string | undefined;
  try {
    envelope = await envelopes.get({
      bucket: letter.archiveBucket,
      key: letter.archiveKey,
      line: letter.archiveLine,
      id: letter.id,
    });
  } catch (error) {
    // The index item is still worth showing when its archive object cannot be read.
    if (!(error instanceof ArchiveUnreadableError)) throw error;
    unreadable = error.message;
  }
  if (context.line.values.json === true)
    context.io.out(
      JSON.stringify({
        ...letter,
        envelope: envelope ?? null,
        ...(unreadable === undefined ? {} : { envelopeUnreadable: unreadable }),
      }),
    );
  else for (const line of renderDeadLetter(letter, envelope, unreadable)) context.io.out(line);
  return EXIT_CODES.ok;
};
