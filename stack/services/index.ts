export { dynamoDbService } from "./dynamodb";
export { KAFKA_LOG4J2_XML, kafkaServerProperties, kafkaService, randomClusterId } from "./kafka";
export { s3ProxyProperties, s3Service } from "./s3";
export { SCHEMA_REGISTRY_HEAP, schemaRegistryService, schemaRegistryUrl } from "./schemaRegistry";
