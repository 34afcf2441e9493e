/**
 * `npm run chaos -- --runs 20 --records 5000 --seed 7 [--brokers 3] [--faults a,b] [--report file]`:
 * starts the local stack with the asked number of brokers, runs the fault campaign, exits 1 on any
 * loss or inconsistency (printing the seed and the command that replays the run), 2 on bad input.
 */
import { parseArgs } from "node:util";
import { LOCAL_CREDENTIALS } from "../../stack/constants";
import { startStack } from "../../stack/stack";
import { silenceKafkajsTimeoutWarning } from "../../stack/warnings";
import { runCampaign } from "./campaign";
import { FAULT_KINDS, parseFaultKinds } from "./faultPlan";

const USAGE = `usage: npm run chaos -- [--runs 20] [--records 5000] [--seed 7] [--brokers 3] [--faults ${Object.values(FAULT_KINDS).join(",")}] [--report .chaos/report.json]`;

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        runs: { type: "string" },
        records: { type: "string" },
        seed: { type: "string" },
        brokers: { type: "string" },
        faults: { type: "string" },
        report: { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    console.error(`chaos: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    return n;
  };
  let options: {
    runs: number;
    records: number;
    seed: number;
    brokers: number;
    faults: ReturnType<typeof parseFaultKinds>;
  };
  try {
    options = {
      runs: int("runs", 20, 1, 1000),
      records: int("records", 5000, 10, 100_000),
      seed: int("seed", 7, 0, 2 ** 31),
      brokers: int("brokers", 3, 1, 3),
      faults: parseFaultKinds(values.faults as string | undefined),
    };
  } catch (error) {
    console.error(`chaos: ${(error as Error).message}`);
    return 2;
  }
  silenceKafkajsTimeoutWarning();
  process.env.AWS_ACCESS_KEY_ID ??= LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= LOCAL_CREDENTIALS.secretAccessKey;
  process.env.AWS_REGION ??= "us-east-1";
  const { kafkaBrokers } = await startStack({
    brokers: options.brokers,
    log: (l) => console.error(`[stack] ${l}`),
  });
  process.env.KAFKA_BROKERS = kafkaBrokers.join(",");
  const result = await runCampaign({
    ...options,
    reportFile: (values.report as string | undefined) ?? `.chaos/report-${options.seed}.json`,
    log: (line) => console.log(line),
  });
  return result.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`chaos: ${(error as Error).message}`);
    process.exit(1);
  },
);
