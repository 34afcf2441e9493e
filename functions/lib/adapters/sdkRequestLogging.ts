/** What `withoutRequestLogging` needs of an AWS SDK v3 client: its middleware stack. */
export interface SdkClientWithMiddleware {
  readonly config: { readonly logger?: unknown };
  readonly middlewareStack: { remove(toRemove: string): boolean };
}

/**
 * Removes the SDK's request logger (`loggerMiddleware`) from a client that has no logger of its
 * own. The middleware logs each command's input and output through `logger.info`, and it builds
 * the sensitive-data-filtered copy of both (a schema walk of every attribute of every item) before
 * the call, even when the logger is the SDK's default no-op one: on a storm of 3,000 dead letters
 * that walk was about a quarter of the function's CPU (a profile of the deployed bundle), for log
 * lines nobody reads. A client given a logger keeps the middleware.
 */
export function withoutRequestLogging<Client extends SdkClientWithMiddleware>(
  client: Client,
  configuredLogger: unknown,
): Client {
  if (configuredLogger === undefined) client.middlewareStack.remove("loggerMiddleware");
  return client;
}
