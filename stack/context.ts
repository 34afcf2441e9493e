/**
 * What every part of the stack needs to know about one checkout's stack: where it keeps its files,
 * its ports, its Kafka nodes and the configuration its clients read.
 */
import { loadConfig } from "../functions/lib/config";
import { resolveBrokerCount } from "./brokerCount";
import { kafkaCluster } from "./kafkaCluster";
import { stackLayout } from "./layout";
import { readStackPorts } from "./ports";
import { dynamoDbService, kafkaService, s3Service, schemaRegistryService } from "./services";
import type { ServiceContext, ServiceDefinition, ServiceName, StackOptions } from "./types";

export const SERVICES: Readonly<Record<ServiceName, ServiceDefinition>> = {
  kafka: kafkaService,
  dynamodb: dynamoDbService,
  s3: s3Service,
  "schema-registry": schemaRegistryService,
};

/**
 * The context of this checkout's stack. Clients built from its `config` bootstrap from every Kafka
 * node, so a client still connects while a fault has taken node 1 away; an explicit KAFKA_BROKERS
 * (a cluster elsewhere) is kept.
 */
export function serviceContext(options: StackOptions = {}): ServiceContext {
  const env = options.env ?? process.env;
  const layout = stackLayout(options);
  const ports = readStackPorts(env);
  const kafka = kafkaCluster(ports, layout, resolveBrokerCount(options, layout));
  const brokers = env.KAFKA_BROKERS?.trim() ? {} : { KAFKA_BROKERS: kafka.bootstrap.join(",") };
  return { layout, ports, kafka, config: loadConfig({ ...env, ...brokers }) };
}
