/**
 * Both producers over TLS against the local brokers' SSL listener (`stack/tls.ts`), built by the
 * same composition the handler uses (`createKafka`, `platformaticConnection`) from the same
 * settings (KAFKA_SSL, KAFKA_CA_SECRET_ARN, KAFKA_TLS_SECRET_ARN): MSK requires TLS in transit, and
 * a self-managed cluster may require client certificates. Only Secrets Manager is stood in for, by
 * a reader handing out the stack's PEMs in the secrets' documented shapes; the handshake, the
 * broker's certificate check and the client certificate are real. Brokers under docker compose
 * have no SSL listener (`docker-compose.yml`), so there the tests skip, saying so.
 */
import { Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaMessageSink } from "../../../functions/lib/adapters/KafkaMessageSink";
import { createKafka, type SecretReader } from "../../../functions/lib/adapters/kafkaClient";
import { PlatformaticMessageSink } from "../../../functions/lib/adapters/PlatformaticMessageSink";
import { platformaticConnection } from "../../../functions/lib/adapters/platformaticClient";
import { KAFKA_PRODUCERS, type KafkaProducer, loadConfig } from "../../../functions/lib/config";
import type { MessageSink } from "../../../functions/lib/core/ports";
import { silentLogger } from "../../../functions/lib/core/ports";
import { ensureTopics, localKafkaConfig, serviceContext, topicSpec } from "../../../stack";
import { readClientTls } from "../../../stack/tls";
import { requireOwnBrokers } from "../../support/cluster";
import { consumeRecords } from "../../support/kafka";
import { uniqueName } from "../../support/names";

const CA_ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:local-ca";
const CLIENT_ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:local-client";

const context = serviceContext();
const tlsBrokers = context.kafka.nodes.map((node) => `127.0.0.1:${node.tlsPort}`).join(",");
const plain = new Kafka(localKafkaConfig({ clientId: "it-tls-reader" }));

/** The settings a user sets for a private CA and a client certificate, against the SSL listener. */
const tlsConfig = (env: Record<string, string>) =>
  loadConfig({ ...process.env, KAFKA_BROKERS: tlsBrokers, KAFKA_SSL: "true", ...env });

let secrets: SecretReader;
beforeAll(async () => {
  const pem = await readClientTls(context.layout);
  secrets = async (arn) =>
    arn === CA_ARN ? { certificate: pem.ca } : { certificate: pem.certificate, privateKey: pem.privateKey };
});

function sinkFor(
  producer: KafkaProducer,
  env: Record<string, string>,
): MessageSink & { disconnect(): Promise<void> } {
  const config = tlsConfig(env);
  return producer === "kafkajs"
    ? new KafkaMessageSink({
        kafka: () =>
          createKafka(config.kafka, { ...config.aws, requestTimeoutMs: 5_000 }, silentLogger, secrets),
        requestTimeoutMs: 5_000,
      })
    : new PlatformaticMessageSink({
        connection: () => platformaticConnection(config.kafka, config.aws, secrets),
        requestTimeoutMs: 5_000,
      });
}

describe.each(KAFKA_PRODUCERS)("the %s producer over TLS", (producer) => {
  const topic = uniqueName("it.tls", producer);
  const admin = plain.admin();
  const sinks: { disconnect(): Promise<void> }[] = [];

  beforeAll(async () => {
    await admin.connect();
    await ensureTopics(admin, [topicSpec(topic, { numPartitions: 1 })]);
  });
  afterAll(async () => {
    await Promise.all(sinks.map((s) => s.disconnect().catch(() => undefined)));
    // The local broker's data dir outlives the run: leave no topic behind, as the other suites do.
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it("writes with the private CA and a client certificate, acknowledged where the broker stored it", async (ctx) => {
    await requireOwnBrokers(ctx, 1);
    const sink = sinkFor(producer, { KAFKA_CA_SECRET_ARN: CA_ARN, KAFKA_TLS_SECRET_ARN: CLIENT_ARN });
    sinks.push(sink);
    const values = ["one", "two", "three"].map((v) => Buffer.from(`{"tls":"${v}"}`));

    const receipts = await sink.send(
      topic,
      values.map((value) => ({
        key: Buffer.from("k"),
        value,
        headers: [{ name: "h", value: Buffer.from("x") }],
      })),
    );

    const read = await consumeRecords(plain, { topic, groupId: uniqueName("it.tls.reader"), count: 3 });
    expect(read.map((r) => r.message.value)).toEqual(values);
    expect(receipts.map((r) => r.offset)).toEqual(read.map((r) => Number(r.message.offset)));
  });

  // Concurrent: kafkajs gives up on a refused handshake only after its connection retries (~10 s).
  it.concurrent("is refused without the client certificate the listener requires: a retriable failure, nothing written", async (ctx) => {
    await requireOwnBrokers(ctx, 1);
    const sink = sinkFor(producer, { KAFKA_CA_SECRET_ARN: CA_ARN });
    sinks.push(sink);
    const before = await highWatermark(admin, topic);

    const sent = sink.send(topic, [{ key: null, value: Buffer.from("{}"), headers: [] }]);

    await expect(sent).rejects.toMatchObject({ retriable: true });
    expect(await highWatermark(admin, topic)).toBe(before);
  });

  it.concurrent("is refused when the broker's certificate is not signed by a CA it trusts", async (ctx) => {
    await requireOwnBrokers(ctx, 1);
    const sink = sinkFor(producer, { KAFKA_TLS_SECRET_ARN: CLIENT_ARN });
    sinks.push(sink);

    await expect(
      sink.send(topic, [{ key: null, value: Buffer.from("{}"), headers: [] }]),
    ).rejects.toMatchObject({
      retriable: true,
    });
  });
});

async function highWatermark(admin: ReturnType<Kafka["admin"]>, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}
