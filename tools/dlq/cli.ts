/**
 * `npm run dlq -- <command>`: list, show, stats, redrive and discard dead letters. See ./usage.ts
 * or `npm run dlq -- --help`.
 */
import { silenceKafkajsTimeoutWarning } from "../../stack/warnings";
import { processIo } from "./io";
import { runDlq } from "./runDlq";

silenceKafkajsTimeoutWarning();
process.exitCode = await runDlq(process.argv.slice(2), processIo());
