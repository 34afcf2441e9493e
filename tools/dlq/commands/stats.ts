import { STATUS_NAMES } from "../../../functions/lib/redrive/constants";
import { DeadLetterStatsBuilder } from "../../../functions/lib/redrive/deadLetterStats";
import { LISTING_ORDERS } from "../../../functions/lib/redrive/indexQueries";
import type { Command } from "../CommandContext";
import { EXIT_CODES } from "../exitCodes";
import { renderStats } from "../format";
import { UsageError } from "../UsageError";
import { checkKnownTopic, filterOf } from "./filterOf";

/**
 * `dlq stats`: counts by topic, stage, day and status, folded while the index queries stream (one
 * byTopic query, or one byStatus query per status: every item once, and never a scan).
 */
export const statsCommand: Command = async (context) => {
  const filter = filterOf(context, STATUS_NAMES);
  if (filter.ids.length > 0) throw new UsageError("stats takes no ids");
  const { catalog } = context.tools();
  const builder = new DeadLetterStatsBuilder();
  for await (const letter of catalog.find(filter, LISTING_ORDERS.newestFirst)) builder.add(letter);
  const stats = builder.build();
  if (stats.total === 0) await checkKnownTopic(catalog, filter);
  if (context.line.values.json === true) context.io.out(JSON.stringify(stats));
  else for (const line of renderStats(stats, Math.min(context.io.columns, 80))) context.io.out(line);
  return EXIT_CODES.ok;
};
