import type { CommandName } from "./commandLine";

const FILTERS = `  --topic <name>          source topic (served by the byTopic index)
  --since <time>          failed at or after: 2026-11-20, 2026-11-20T10:00:00Z, 30m, 24h, 7d
  --until <time>          failed before (same forms)
  --stage <stage>         route, decode, validate, transform, produce, retries-exhausted
  --error-class <name>    e.g. SchemaViolationError
  --status <status>       new, redriven, discarded or all (comma-separated)`;

const CONNECTION = `Connection (same variables as the functions: AWS_REGION, S3_ENDPOINT, DYNAMODB_ENDPOINT,
KAFKA_BROKERS, KAFKA_AUTH, DEAD_LETTER_TABLE, ATTEMPTS_TABLE; defaults are the local stack):
  --aws                   use AWS endpoints and the standard credential chain (or DLQ_TARGET=aws)
  --region <r>  --s3-endpoint <url>  --dynamodb-endpoint <url>  --brokers <h:p,...>
  --table <name>  --attempts-table <name>  --json (machine-readable output)`;

const TEXT: Readonly<Record<CommandName, string>> = {
  help: `dlq: query, replay and discard dead letters of the Kafka Lambda pipeline

Usage: npm run dlq -- <command> [options]

Commands:
  list       a table of dead letters, newest first, paginated
  show <id>  one dead letter: provenance, error, attempts, status, payload
  stats      counts by topic, stage, day and status
  redrive    replay dead letters to their source topic (or --to-topic)
  discard    mark dead letters as handled without replaying them

Run "npm run dlq -- <command> --help" for a command's options.
Exit codes: 0 ok, 1 operational failure, 2 bad input, 130 interrupted (resumable).

${CONNECTION}`,
  list: `Usage: dlq list [filters] [--limit 25] [--page-token <token>]

${FILTERS} (default all)
  --limit <n>             rows per page (default 25, at most 1000)
  --page-token <token>    the token printed under the previous page`,
  show: `Usage: dlq show <id>

  <id> is <topic>:<partition>:<offset> as shown by "dlq list".`,
  stats: `Usage: dlq stats [filters]

${FILTERS} (default all)`,
  redrive: `Usage: dlq redrive [ids...] [filters] [options]

Replays the original bytes with x-redrive-count, x-redrive-dead-letter-id and x-redrive-at headers,
then marks each dead letter redriven. Only status new is replayed.
${FILTERS} (only new is replayed)
  --to-topic <name>       replay here instead of each record's source topic
  --dry-run               show what would be replayed, change nothing
  --rate <n>              records per second (default 100, REDRIVE_RATE)
  --max <n>               replay at most n records in this run
  --max-redrives <n>      refuse records already redriven n times (default 3, REDRIVE_MAX_REDRIVES)
  --batch-size <n>        records per produce (default 25): the most a crash can duplicate
  --from-on-failure <s3://bucket/prefix>  replay Lambda's own S3 on-failure documents instead
  --run-id <id>           name the run (default generated)
  --resume <run-id>       continue a crashed or interrupted run with its original filters
  -v, --verbose           one line per replayed record`,
  discard: `Usage: dlq discard [ids...] [filters] [--reason <text>] [--dry-run] [--all]

Marks new dead letters discarded (kept in the index and archive, never replayed).
${FILTERS}
  --reason <text>         stored with each dead letter
  --all                   required to discard without any id or filter`,
};

export function usage(command: CommandName): string {
  return TEXT[command];
}
