import type { DeadLetterEnvelope } from "../../../functions/lib/core/deadLetter";
import { ID_FORMS, isDeadLetterId } from "../../../functions/lib/redrive/deadLetterIds";
import { ArchiveUnreadableError, DeadLetterNotFoundError } from "../../../functions/lib/redrive/errors";
import { resolveDeadLetter } from "../../../functions/lib/redrive/selectDeadLetters";
import type { Command } from "../CommandContext";
import { EXIT_CODES } from "../exitCodes";
import { renderDeadLetter } from "../format";
import { UsageError } from "../UsageError";

/** `dlq show <id>`: the index item, then the archived envelope with its payload decoded. */
export const showCommand: Command = async (context) => {
  const id = context.line.positionals[0] ?? "";
  if (!isDeadLetterId(id)) throw new UsageError(`"${id}" is not a dead-letter id: ${ID_FORMS}`);
  const { catalog, envelopes } = context.tools();
  const letter = await resolveDeadLetter(catalog, id);
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
