import { RedriveInputError } from "../../functions/lib/redrive/errors";

/** The command line itself is wrong: unknown command or flag, missing argument. Exit code 2. */
export class UsageError extends RedriveInputError {
  override readonly name: string = "UsageError";
}
