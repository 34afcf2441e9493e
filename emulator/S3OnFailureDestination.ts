import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  buildS3FailureDocument,
  type FailureDocumentContext,
  mappingUuid,
  s3FailureObjectKey,
} from "./onFailure";
import type { FailedBatch, OnFailureDestination } from "./types";

export interface S3OnFailureDestinationOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Prepended to AWS's key layout; empty means none, as in AWS. */
  readonly prefix: string;
  readonly groupId: string;
  readonly context: FailureDocumentContext;
}

/** One JSON document per failed batch, the only destination that keeps the whole payload. */
export class S3OnFailureDestination implements OnFailureDestination {
  private readonly mappingUuid: string;

  constructor(private readonly options: S3OnFailureDestinationOptions) {
    this.mappingUuid = mappingUuid(options.groupId);
  }

  get description(): string {
    return `s3://${this.options.bucket}/${this.options.prefix}`;
  }

  async deliver(batch: FailedBatch): Promise<string[]> {
    const key = s3FailureObjectKey(this.options.prefix, this.mappingUuid, batch);
    const document = buildS3FailureDocument(batch, this.options.context);
    await this.options.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        Body: JSON.stringify(document),
        ContentType: "application/json",
      }),
    );
    return [`s3://${this.options.bucket}/${key}`];
  }

  async close(): Promise<void> {
    this.options.client.destroy();
  }
}
