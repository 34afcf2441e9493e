/**
 * The @platformatic/kafka connection settings: PLAINTEXT or TLS from the same configuration as
 * kafkajs, and SASL refused rather than connecting without it.
 */
import { describe, expect, it } from "vitest";
import { platformaticConnection } from "../../../functions/lib/adapters/platformaticClient";
import { loadConfig } from "../../../functions/lib/config";
import { ConfigError } from "../../../functions/lib/core/errors";

const config = (env: Record<string, string>) => loadConfig({ KAFKA_BROKERS: "b-1:9094,b-2:9094", ...env });

describe("platformaticConnection", () => {
  it("connects in plaintext when TLS is off", async () => {
    const { kafka, aws } = config({});

    expect(await platformaticConnection(kafka, aws)).toEqual({
      clientId: "kafka-lambda-pipeline",
      bootstrapBrokers: ["b-1:9094", "b-2:9094"],
    });
  });

  it("connects with TLS, the public CAs and SNI when KAFKA_SSL=true", async () => {
    const { kafka, aws } = config({ KAFKA_SSL: "true" });

    expect(await platformaticConnection(kafka, aws)).toMatchObject({ tls: {}, tlsServerName: true });
  });

  it("refuses SASL, naming the option, instead of connecting without it", async () => {
    const { kafka, aws } = config({});

    const refused = platformaticConnection({ ...kafka, auth: "scram-sha-512" }, aws);

    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toMatchObject({ variable: "KAFKA_PRODUCER" });
  });
});
