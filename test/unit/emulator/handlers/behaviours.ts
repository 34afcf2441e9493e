/**
 * A handler for the sandbox tests that does what the event asks (the tests send their own JSON,
 * not Kafka events). Self-contained, so Node runs it without a bundle.
 */
const loadedAt = Date.now();
let invocations = 0;
const held: Buffer[] = [];

if (process.env.INIT_DELAY_MS !== undefined) {
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.INIT_DELAY_MS)));
}

type Behaviour =
  | { do: "echo" }
  | { do: "sleep"; ms: number }
  | { do: "allocate"; mb: number }
  | { do: "exit"; code: number }
  | { do: "throw" }
  | { do: "uncaught" }
  | { do: "reject" };

interface Context {
  functionName: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function handler(event: Behaviour, context: Context): Promise<unknown> {
  invocations += 1;
  console.log("handling", event.do);
  switch (event.do) {
    case "echo":
      return {
        pid: process.pid,
        loadedAt,
        invocations,
        execArgv: process.execArgv,
        functionName: context.functionName,
        memoryLimitInMB: context.memoryLimitInMB,
        requestId: context.awsRequestId,
        remainingMs: context.getRemainingTimeInMillis(),
        env: {
          AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME ?? null,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? null,
          AWS_EXECUTION_ENV: process.env.AWS_EXECUTION_ENV ?? null,
          FUNCTION_SETTING: process.env.FUNCTION_SETTING ?? null,
          TZ: process.env.TZ ?? null,
        },
      };
    case "sleep":
      await sleep(event.ms);
      return "slept";
    case "allocate":
      for (let i = 0; i < event.mb / 16; i += 1) {
        held.push(Buffer.alloc(16 * 1024 * 1024, 1));
        await sleep(5);
      }
      await sleep(2_000);
      return "allocated";
    case "exit":
      return process.exit(event.code);
    case "throw":
      throw new TypeError("the handler threw");
    case "uncaught":
      setTimeout(() => {
        throw new RangeError("thrown outside the handler's promise");
      }, 10);
      await sleep(2_000);
      return "not reached";
    case "reject":
      void Promise.reject(new Error("a stray rejection"));
      await sleep(2_000);
      return "not reached";
  }
  return undefined;
}
