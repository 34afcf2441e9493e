import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface TcpOutageProxyOptions {
  readonly targetHost: string;
  readonly targetPort: number;
  /** 0 picks a free port on the first start; restarts reuse it. */
  readonly listenPort?: number;
}

/**
 * A TCP forwarder on 127.0.0.1 that can be cut off and restored: point a client at it and the
 * service behind it becomes unreachable for real (connections refused, open ones reset), without
 * stopping a service other users of the machine share.
 *
 * @example
 * const proxy = new TcpOutageProxy({ targetHost: "127.0.0.1", targetPort: 9000 });
 * const endpoint = await proxy.start(); // http://127.0.0.1:<port>
 * await proxy.cutOff(); await sleep(5_000); await proxy.restore();
 */
export class TcpOutageProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port: number;

  constructor(private readonly options: TcpOutageProxyOptions) {
    this.port = options.listenPort ?? 0;
  }

  /** `http://127.0.0.1:<port>`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get reachable(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<string> {
    if (this.server !== undefined) return this.endpoint;
    const server = createServer((client) => this.forward(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address();
    if (typeof address === "object" && address !== null) this.port = address.port;
    this.server = server;
    return this.endpoint;
  }

  /** New connections are refused and open ones are reset, as when the service's host goes away. */
  async cutOff(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restore(): Promise<void> {
    await this.start();
  }

  async close(): Promise<void> {
    await this.cutOff();
  }

  private forward(client: Socket): void {
    const upstream = createConnection({ host: this.options.targetHost, port: this.options.targetPort });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
