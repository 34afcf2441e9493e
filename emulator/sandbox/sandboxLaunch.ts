/**
 * How a sandbox process is started: the V8 heap flags and the environment Lambda's Node.js runtime
 * gives a function. Pure.
 */
import { basename, dirname, extname } from "node:path";
import { SANDBOX_ENV } from "./protocol";

/**
 * The heap flags Lambda's Node.js bootstrap (`/var/runtime/bootstrap`) adds from
 * `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`: a semi-space of 5% and an old space of 90% of the memory size,
 * unless `NODE_OPTIONS` already sets either flag (in `-` or `_` spelling), in which case it adds
 * neither. Not in AWS's documentation: read from the extracted runtime, e.g. the nodejs20.x
 * bootstrap at https://gist.github.com/davidjb/432ea4e1c89f399ec412270539fe126f and the nodejs24.x
 * analysis at https://dev.to/wonderfulsoap/deep-dive-into-aws-lambda-3-official-nodejs-runtime-analysis-43je
 *
 * @example
 * lambdaHeapFlags(512, undefined); // ["--max-semi-space-size=25", "--max-old-space-size=460"]
 */
export function lambdaHeapFlags(memorySizeMb: number, nodeOptions: string | undefined): string[] {
  if (/--max[-_](semi|old)[-_]space[-_]size/.test(nodeOptions ?? "")) return [];
  return [
    `--max-semi-space-size=${Math.floor((memorySizeMb * 5) / 100)}`,
    `--max-old-space-size=${Math.floor((memorySizeMb * 90) / 100)}`,
  ];
}

export interface SandboxEnvironmentInput {
  readonly functionName: string;
  readonly functionArn: string;
  readonly memorySizeMb: number;
  readonly region: string;
  /** The handler module the sandbox imports (its directory is `LAMBDA_TASK_ROOT`). */
  readonly modulePath: string;
  readonly exportName: string;
  /** A per-sandbox id in the log stream name, as Lambda names one stream per execution environment. */
  readonly sandboxId: string;
  /** The function's configured variables. */
  readonly environment: Readonly<Record<string, string>>;
  /** The emulator's own environment, inherited so a local function finds the local stack. */
  readonly inherited: Readonly<Record<string, string | undefined>>;
  readonly endMarker: string;
}

/**
 * The sandbox's environment: the emulator's (local ports and credentials; without its
 * `NODE_OPTIONS`, which may carry the emulator's own loaders), then the function's variables, then
 * the reserved variables Lambda sets
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 * except `AWS_LAMBDA_FUNCTION_NAME`: the pipeline's configuration reads it to tell AWS from the
 * local stack, and the emulated function must keep using the local stack. There is no
 * `AWS_LAMBDA_RUNTIME_API` either: the sandbox talks to the emulator over IPC, not the Runtime API.
 */
export function sandboxEnvironment(input: SandboxEnvironmentInput): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.inherited)) {
    if (value !== undefined && name !== "NODE_OPTIONS" && name !== "AWS_LAMBDA_FUNCTION_NAME") {
      inherited[name] = value;
    }
  }
  const handlerFile = basename(input.modulePath, extname(input.modulePath));
  const day = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
  return {
    ...inherited,
    ...input.environment,
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(input.memorySizeMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${input.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${input.sandboxId}`,
    LAMBDA_TASK_ROOT: dirname(input.modulePath),
    _HANDLER: `${handlerFile}.${input.exportName}`,
    TZ: ":UTC",
    LANG: "en_US.UTF-8",
    [SANDBOX_ENV.endMarker]: input.endMarker,
    [SANDBOX_ENV.functionArn]: input.functionArn,
    [SANDBOX_ENV.functionName]: input.functionName,
  };
}
