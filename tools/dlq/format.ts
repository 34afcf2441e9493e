import type { DeadLetterEnvelope } from "../../functions/lib/core/deadLetter";
import { isDeadLetterId } from "../../functions/lib/redrive/deadLetterIds";
import type { DeadLetterStats } from "../../functions/lib/redrive/deadLetterStats";
import { describePayload } from "../../functions/lib/redrive/payloadView";
import type { DeadLetterView, RedriveSummary } from "../../functions/lib/redrive/types";
import { type Column, renderTable } from "./table";

export const LIST_COLUMNS: readonly Column<DeadLetterView>[] = [
  { header: "ID", value: (d) => d.id },
  { header: "FAILED AT", value: (d) => shortTime(d.failedAt) },
  { header: "STAGE", value: (d) => d.stage },
  { header: "STATUS", value: (d) => d.status },
  { header: "REDRIVES", value: (d) => String(d.redriveCount), align: "right" },
  { header: "ERROR", value: (d) => `${d.errorClass}: ${d.errorMessage}`, flexible: true },
];

/** `2026-11-22 10:31:05Z`: second precision reads better in a table than the full ISO string. */
export function shortTime(iso: string): string {
  return iso.length >= 19 ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : iso;
}

/** The page token is the last row's sort key, opaque to the operator. */
export function pageToken(sortKey: string): string {
  return Buffer.from(sortKey, "utf8").toString("base64url");
}

export function sortKeyOfToken(token: string): string | undefined {
  const text = Buffer.from(token, "base64url").toString("utf8");
  const [time, id] = [text.slice(0, text.indexOf("#")), text.slice(text.indexOf("#") + 1)];
  return /^\d{4}-\d{2}-\d{2}T/.test(time) && isDeadLetterId(id) ? text : undefined;
}

/** `dlq show`: provenance, error, status, then key, headers and value decoded. */
export function renderDeadLetter(
  letter: DeadLetterView,
  envelope: DeadLetterEnvelope | undefined,
  unreadable?: string,
): string[] {
  const lines = [`Dead letter ${letter.id}`];
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(11)} ${text}`);
  row(
    "Status",
    `${letter.status}, redriven ${letter.redriveCount} time${letter.redriveCount === 1 ? "" : "s"} before`,
  );
  row(
    "Source",
    `${letter.topic} partition ${letter.partition} offset ${letter.offset}, produced ${new Date(letter.timestamp).toISOString()}` +
      (envelope ? ` (${envelope.source.timestampType}, ${envelope.source.eventSource})` : ""),
  );
  row(
    "Failed at",
    `${letter.failedAt}, stage ${letter.stage}, after ${letter.attempts} attempt${letter.attempts === 1 ? "" : "s"}`,
  );
  row("Error", `${letter.errorClass}: ${letter.errorMessage}`);
  if (letter.cluster !== undefined) row("Cluster", letter.cluster);
  row("Invocation", `${letter.functionName}, request ${letter.requestId}`);
  row(
    "DLQ topic",
    `${letter.dlqTopic}${letter.dlqPartition === undefined ? "" : ` partition ${letter.dlqPartition} offset ${letter.dlqOffset}`}` +
      (letter.dlqAbsentReason === undefined
        ? ""
        : ` (no copy: ${letter.dlqAbsentReason}; the archive holds the only one)`),
  );
  row("Archive", `s3://${letter.archiveBucket}/${letter.archiveKey} line ${letter.archiveLine}`);
  if (letter.redrive)
    row(
      "Redriven",
      `${letter.redrive.at} to ${letter.redrive.topic} partition ${letter.redrive.partition} offset ${letter.redrive.offset} (run ${letter.redrive.runId})`,
    );
  if (letter.discard) row("Discarded", `${letter.discard.at}: ${letter.discard.reason}`);
  if (unreadable !== undefined) {
    lines.push("", `  The archived envelope cannot be read: ${unreadable}`);
    return lines;
  }
  if (envelope === undefined) {
    lines.push(
      "",
      "  The archived envelope is gone (expired or deleted): the payload cannot be shown or replayed.",
    );
    return lines;
  }
  const { record } = envelope;
  lines.push("", ...payloadLines("Key", record.key));
  lines.push("", `Headers (${record.headers.length})`);
  for (const header of record.headers) {
    const view = describePayload(header.value, 64);
    lines.push(
      `  ${header.name}: ${view.encoding === "binary" ? `base64:${header.value}` : view.display.replace(/\s+/g, " ")}`,
    );
  }
  lines.push("", ...payloadLines("Value", record.value));
  return lines;
}

function payloadLines(label: string, base64: string | null): string[] {
  const view = describePayload(base64);
  const lines = [`${label} (${view.encoding}, ${view.bytes} bytes)`];
  lines.push(...view.display.split("\n").map((l) => `  ${l}`));
  if (view.base64 !== undefined) lines.push(`  base64: ${view.base64}`);
  return lines;
}

/** Rows per stats table: the largest counts; the rest are summed in one line. */
const STATS_ROWS = 15;

/** `dlq stats`: one small table per dimension. */
export function renderStats(stats: DeadLetterStats, width: number): string[] {
  const lines = [`${stats.total} dead letter${stats.total === 1 ? "" : "s"}`];
  const section = (title: string, counts: Readonly<Record<string, number>>) => {
    const all = Object.entries(counts);
    if (all.length === 0) return;
    const entries = all.slice(0, STATS_ROWS);
    if (all.length > STATS_ROWS) {
      const rest = all.slice(STATS_ROWS).reduce((sum, [, n]) => sum + n, 0);
      entries.push([`(${all.length - STATS_ROWS} more)`, rest]);
    }
    lines.push("");
    lines.push(
      ...renderTable<[string, number]>(
        [
          { header: title, value: ([k]) => k, flexible: true },
          { header: "COUNT", value: ([, n]) => String(n), align: "right" },
        ],
        entries,
        width,
      ),
    );
  };
  section("TOPIC", stats.byTopic);
  section("STAGE", stats.byStage);
  section("TOPIC / STAGE", stats.byTopicAndStage);
  section("STATUS", stats.byStatus);
  section("DAY", stats.byDay);
  return lines;
}

/** Failed letters the summary names; each was also reported as it happened. */
const LISTED_FAILURES = 10;

export function renderSummary(summary: RedriveSummary, seconds: number): string[] {
  const c = summary.counts;
  const verb = summary.dryRun ? "would replay" : "replayed";
  const lines = [
    `${verb} ${c.replayed}, refused ${c.refused}, skipped ${c.skipped}, failed ${c.failed} ` +
      `(of ${c.selected} selected) in ${seconds.toFixed(1)} s`,
  ];
  const topics = Object.entries(summary.byTopic);
  if (topics.length > 0) lines.push(`  to ${topics.map(([t, n]) => `${t}: ${n}`).join(", ")}`);
  if (summary.resumed) {
    const t = summary.total;
    lines.push(
      `  run total over all its attempts: replayed ${t.replayed}, ` +
        `refused ${t.refused}, skipped ${t.skipped}, failed ${t.failed}`,
    );
  }
  for (const failure of summary.failures.slice(0, LISTED_FAILURES))
    lines.push(`  failed ${failure.id}: ${failure.reason}`);
  if (c.failed > LISTED_FAILURES)
    lines.push(`  … and ${c.failed - LISTED_FAILURES} more failed (listed above, or with --json)`);
  if (summary.dryRun) lines.push("dry run: nothing was produced or changed");
  else
    lines.push(
      `run ${summary.runId} ${summary.state}${summary.stoppedBecause ? `: ${summary.stoppedBecause}` : ""}`,
    );
  return lines;
}
