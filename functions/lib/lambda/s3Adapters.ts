/**
 * What a dead letter's archive needs from the AWS SDK, in one module that the composition root
 * imports on first use (`deferred.ts`): a dynamic import keeps every export of the module it names,
 * so it names this one, not `@aws-sdk/client-s3` with all its commands.
 */
export { S3Client } from "@aws-sdk/client-s3";
export { S3DeadLetterArchive } from "../adapters/S3DeadLetterArchive";
