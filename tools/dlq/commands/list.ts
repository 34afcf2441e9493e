import { STATUS_NAMES } from "../../../functions/lib/redrive/constants";
import { LISTING_ORDERS } from "../../../functions/lib/redrive/indexQueries";
import type { DeadLetterView } from "../../../functions/lib/redrive/types";
import type { Command } from "../CommandContext";
import { stringFlag } from "../commandLine";
import { EXIT_CODES } from "../exitCodes";
import { LIST_COLUMNS, pageToken, sortKeyOfToken } from "../format";
import { renderTable } from "../table";
import { UsageError } from "../UsageError";
import { checkKnownTopic, filterOf } from "./filterOf";

/** `dlq list`: newest first, one page at a time, from the byTopic or byStatus index. */
export const listCommand: Command = async (context) => {
  const filter = filterOf(context, STATUS_NAMES);
  if (filter.ids.length > 0) throw new UsageError("list takes no ids: use dlq show <id>");
  const limit = limitOf(stringFlag(context.line.values, "limit"));
  const token = stringFlag(context.line.values, "page-token");
  const after = token === undefined ? undefined : sortKeyOfToken(token);
  if (token !== undefined && after === undefined)
    throw new UsageError(`--page-token "${token}" is not a token dlq printed`);

  const { catalog } = context.tools();
  const rows: DeadLetterView[] = [];
  let more = false;
  for await (const letter of catalog.find(filter, LISTING_ORDERS.newestFirst, after)) {
    if (rows.length === limit) {
      more = true;
      break;
    }
    rows.push(letter);
  }
  if (rows.length === 0 && after === undefined) await checkKnownTopic(catalog, filter);

  const { io } = context;
  if (context.line.values.json === true) {
    for (const row of rows) io.out(JSON.stringify(row));
  } else if (rows.length === 0) {
    io.out("no dead letters match");
  } else {
    for (const line of renderTable(LIST_COLUMNS, rows, io.columns)) io.out(line);
  }
  const last = rows[rows.length - 1];
  if (more && last !== undefined) {
    io.err(`${rows.length} shown, newest first; next page: add --page-token ${pageToken(last.sortKey)}`);
  } else if (context.line.values.json !== true && rows.length > 0) {
    io.err(`${rows.length} dead letter${rows.length === 1 ? "" : "s"}, newest first`);
  }
  return EXIT_CODES.ok;
};

function limitOf(text: string | undefined): number {
  if (text === undefined) return 25;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 1_000)
    throw new UsageError(`--limit must be a whole number from 1 to 1000, got "${text}"`);
  return n;
}
