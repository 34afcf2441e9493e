/**
 * Versions, credentials and layout of the local stack.
 *
 * The versions here are the ones `docker-compose.yml` pins too, so a laptop with Docker and a machine
 * running the JVM services talk to the same broker and the same DynamoDB Local.
 */
import { fileURLToPath } from "node:url";

export const SERVICE_NAMES = ["kafka", "dynamodb", "s3", "schema-registry"] as const;

/**
 * Kafka 4.1 (KRaft): kafkajs 2.2.4 was checked against it for every request the pipeline makes (admin,
 * acks=-1 and idempotent produce, consumer groups, offset commits), so the newest line that Amazon MSK
 * offers is used instead of the 3.9 fallback.
 */
export const KAFKA_VERSION = "4.1.2";
/** The 3.x line is built on the AWS SDK for Java v2; 3.3.x pins SDK artifacts missing from Central. */
export const DYNAMODB_LOCAL_VERSION = "3.1.0";
export const SQLITE4JAVA_VERSION = "1.0.392";
export const S3PROXY_VERSION = "4.1.0";
/** Kafka 4.1 ships slf4j 1.7, so the log4j2 binding is the slf4j 1.x one. */
export const LOG4J_VERSION = "2.24.3";
/**
 * Apicurio Registry, for its Confluent-compatible API (`/apis/ccompat/v7`). Central serves the whole
 * dependency tree of the 2.4 line only: 3.x pulls modules (schema-util-*, config-index, ...) and
 * Quarkus 3.33.3.1 poms that Central does not serve, 2.5/2.6 pull missing app components, and 2.2
 * and older have no ccompat v7. See stack/schemaRegistryBuild.ts for how it is built.
 */
export const APICURIO_REGISTRY_VERSION = "2.4.2.Final";
/** The Quarkus that Apicurio Registry 2.4.2 was built with; the augmentation must use the same. */
export const APICURIO_QUARKUS_VERSION = "2.16.4.Final";
/**
 * Apicurio 2.4 depends on `com.github.everit-org.json-schema` 1.14.2, which only JitPack serves; its
 * author publishes the same library (same `org.everit.json.schema` classes) to Central as
 * `com.github.erosb:everit-json-schema`.
 */
export const EVERIT_JSON_SCHEMA_VERSION = "1.14.2";
export const MAVEN_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";

/** Fixed credentials, the same as the MinIO root user in docker-compose.yml. */
export const LOCAL_CREDENTIALS = {
  accessKeyId: "local",
  secretAccessKey: "localsecret",
} as const;

export const LOOPBACK = "127.0.0.1";

/** `.stack/` at the repository root unless STACK_DIR says otherwise; git-ignored. */
export const DEFAULT_STACK_DIR = fileURLToPath(new URL("../.stack", import.meta.url));

/** Marks our JVMs' command lines so a recycled pid is never mistaken for one of our services. */
export const PROCESS_MARKER = "-Dkafka-lambda-pipeline.stack";

export const DEFAULT_START_TIMEOUT_MS = 120_000;
