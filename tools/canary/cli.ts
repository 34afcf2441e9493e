/** `npm run canary -- --stack <name>`: see ./usage.ts, or `npm run canary -- --help`. */
import { silenceKafkajsTimeoutWarning } from "../../stack/warnings";
import { processIo } from "../dlq/io";
import { runCanary } from "./runCanary";

silenceKafkajsTimeoutWarning();
process.exitCode = await runCanary(process.argv.slice(2), processIo());
// With --local the bundled processor keeps its producer connected, as a warm Lambda container would:
// end the process once the output is out, instead of waiting for connections nobody will use again.
setTimeout(() => process.exit(), 500).unref();
