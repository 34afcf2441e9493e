/**
 * The DynamoDB adapters of the processor (dead-letter index, attempt ledger, idempotency, canary
 * deliveries) and their client, in one module that the composition root imports on first use
 * (`deferred.ts`): a dynamic import keeps every export of the module it names, so it names this
 * one, not `@aws-sdk/client-dynamodb` with all its commands.
 */
export { DynamoDBClient } from "@aws-sdk/client-dynamodb";
export { DynamoAttemptLedger } from "../adapters/DynamoAttemptLedger";
export { DynamoDeadLetterIndex } from "../adapters/DynamoDeadLetterIndex";
export { DynamoProducedRecordStore } from "../adapters/DynamoProducedRecordStore";
export { DynamoCanaryDeliveries } from "../canary/DynamoCanaryDeliveries";
