/**
 * The baseline of the cold-start benchmark (issue 11): the processor handler as a naive bundle
 * would have it, the same packages imported at the top and every AWS SDK client created at module
 * scope, whether or not a batch ever needs it. Built with the construct's bundle definition like
 * the deployed handler, so the two differ only in what INIT evaluates.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { generateAuthToken } from "aws-msk-iam-sasl-signer-js";
import { DynamoAttemptLedger } from "../functions/lib/adapters/DynamoAttemptLedger";
import { DynamoDeadLetterIndex } from "../functions/lib/adapters/DynamoDeadLetterIndex";
import { DynamoProducedRecordStore } from "../functions/lib/adapters/DynamoProducedRecordStore";
import { KafkaSecrets } from "../functions/lib/adapters/kafkaSecrets";
import { S3DeadLetterArchive } from "../functions/lib/adapters/S3DeadLetterArchive";
import { DynamoCanaryDeliveries } from "../functions/lib/canary/DynamoCanaryDeliveries";

const region = process.env.AWS_REGION ?? "us-east-1";
const dynamodb = new DynamoDBClient({ region });

/** Kept reachable so the bundler keeps them, as a naive handler's module scope does. */
export const eagerClients = {
  s3: new S3Client({ region }),
  dynamodb,
  secrets: new SecretsManagerClient({ region }),
  signer: generateAuthToken,
  adapters: [
    S3DeadLetterArchive,
    DynamoDeadLetterIndex,
    DynamoAttemptLedger,
    DynamoProducedRecordStore,
    DynamoCanaryDeliveries,
    KafkaSecrets,
  ],
};

export { handler } from "../functions/processor/handler";
