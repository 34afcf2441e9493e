import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { translateAwsError } from "../../adapters/awsErrors";
import type { OnFailureDocumentStore } from "../ports";
import { maybeGunzip } from "./S3EnvelopeStore";

/**
 * Lists and reads the documents an event source mapping wrote to its S3 on-failure destination.
 * Keys carry the time (`.../YYYY/MM/DD/...`), so listing order is close to failure order; the
 * documents are read one at a time because each can hold a 6 MB batch.
 */
export class S3OnFailureDocumentStore implements OnFailureDocumentStore {
  constructor(private readonly client: S3Client) {}

  async *list(bucket: string, prefix: string): AsyncGenerator<{ key: string; lastModified: string }> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
      } catch (error) {
        throw translateAwsError(error, `listing s3://${bucket}/${prefix}`);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || object.Key.endsWith("/")) continue;
        yield { key: object.Key, lastModified: (object.LastModified ?? new Date(0)).toISOString() };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async read(bucket: string, key: string): Promise<string> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = Buffer.from((await response.Body?.transformToByteArray()) ?? new Uint8Array());
      return (await maybeGunzip(bytes)).toString("utf8");
    } catch (error) {
      throw translateAwsError(error, `reading s3://${bucket}/${key}`);
    }
  }
}
