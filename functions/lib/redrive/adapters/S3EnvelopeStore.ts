import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { translateAwsError } from "../../adapters/awsErrors";
import type { DeadLetterEnvelope } from "../../core/deadLetter";
import type { EnvelopeStore } from "../ports";
import type { ArchiveLocation } from "../types";

const gunzipAsync = promisify(gunzip);

export interface S3EnvelopeStoreOptions {
  readonly client: S3Client;
  /** Archive objects kept in memory: a redrive reads many letters of the same object. @default 32 */
  readonly cachedObjects?: number;
}

/**
 * Reads envelopes from the gzip JSON Lines archive. The index names the line, but the id decides:
 * when a retried invocation rewrote the object with other lines, the envelope is found by its id.
 */
export class S3EnvelopeStore implements EnvelopeStore {
  private readonly cache = new Map<string, Promise<DeadLetterEnvelope[] | undefined>>();

  constructor(private readonly options: S3EnvelopeStoreOptions) {}

  async get(location: ArchiveLocation): Promise<DeadLetterEnvelope | undefined> {
    const envelopes = await this.object(location.bucket, location.key);
    if (envelopes === undefined) return undefined;
    const atLine = envelopes[location.line];
    return atLine?.id === location.id ? atLine : envelopes.find((e) => e.id === location.id);
  }

  /** All envelopes of one object, fetched once and shared by concurrent readers. */
  async object(bucket: string, key: string): Promise<DeadLetterEnvelope[] | undefined> {
    const cacheKey = `${bucket}/${key}`;
    let pending = this.cache.get(cacheKey);
    if (pending === undefined) {
      pending = this.fetch(bucket, key);
      this.cache.set(cacheKey, pending);
      pending.catch(() => this.cache.delete(cacheKey));
      const limit = this.options.cachedObjects ?? 32;
      for (const old of this.cache.keys()) {
        if (this.cache.size <= limit) break;
        this.cache.delete(old);
      }
    }
    return pending;
  }

  private async fetch(bucket: string, key: string): Promise<DeadLetterEnvelope[] | undefined> {
    let bytes: Uint8Array;
    try {
      const response = await this.options.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (response.Body === undefined) return undefined;
      bytes = await response.Body.transformToByteArray();
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw translateAwsError(error, `reading s3://${bucket}/${key}`);
    }
    const text = (await maybeGunzip(Buffer.from(bytes))).toString("utf8");
    return text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as DeadLetterEnvelope);
  }
}

/** Gzip objects may come back decoded (a proxy honouring Content-Encoding) or not: the magic decides. */
export async function maybeGunzip(bytes: Buffer): Promise<Buffer> {
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipAsync(bytes) : bytes;
}

export function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}
