/** The functions' own fix, reused by the stack's CLI, scripts and test setup. */
export { silenceKafkajsTimeoutWarning } from "../functions/lib/adapters/kafkajsWarnings";
