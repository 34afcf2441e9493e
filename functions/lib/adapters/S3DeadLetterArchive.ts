import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { DeadLetterEnvelope } from "../core/deadLetter";
import type { DeadLetterArchive } from "../core/ports";
import { translateAwsError } from "./awsErrors";

const gzipAsync = promisify(gzip);

export interface S3DeadLetterArchiveOptions {
  readonly client: S3Client;
  readonly bucket: string;
}

/**
 * Dead letters archived as gzip JSON Lines, one object per invocation and source partition.
 * The key comes from the core (deterministic), so a retried invocation overwrites its own object.
 */
export class S3DeadLetterArchive implements DeadLetterArchive {
  constructor(private readonly options: S3DeadLetterArchiveOptions) {}

  async put(key: string, envelopes: readonly DeadLetterEnvelope[]): Promise<void> {
    const body = await gzipAsync(
      Buffer.from(`${envelopes.map((e) => JSON.stringify(e)).join("\n")}\n`, "utf8"),
    );
    try {
      await this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: body,
          ContentType: "application/x-ndjson",
          ContentEncoding: "gzip",
          Metadata: { "record-count": String(envelopes.length), "envelope-version": "1" },
        }),
      );
    } catch (error) {
      throw translateAwsError(error, `archiving to s3://${this.options.bucket}/${key}`);
    }
  }
}
