import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { translateAwsError } from "../../adapters/awsErrors";
import type { DeadLetterEnvelope } from "../../core/deadLetter";
import { isProgrammingError, isRetriable } from "../../core/errors";
import { sameRecord } from "../deadLetterIds";
import { ArchiveUnreadableError } from "../errors";
import type { EnvelopeStore } from "../ports";
import type { ArchiveLocation } from "../types";

const gunzipAsync = promisify(gunzip);

export interface S3EnvelopeStoreOptions {
  readonly client: S3Client;
  /** Archive objects kept in memory: a redrive reads many letters of the same object. @default 32 */
  readonly cachedObjects?: number;
}

/** What one archive object gave: its envelopes, nothing (gone), or why it cannot be read. */
type ArchiveObject =
  | { readonly envelopes: readonly DeadLetterEnvelope[] }
  | { readonly unreadable: string }
  | undefined;

/**
 * Reads envelopes from the gzip JSON Lines archive. The index names the line, but the id decides:
 * when a retried invocation rewrote the object with other lines, the envelope is found by its id.
 *
 * An object that exists but cannot be read (archived to Glacier, access denied, corrupt) throws
 * {@link ArchiveUnreadableError} for each letter in it, and is remembered as such for the run, so a
 * redrive counts those letters as failed and goes on. Transient faults (throttling, 5xx, network)
 * are not remembered: they stop the run, and a resume reads the object again.
 */
export class S3EnvelopeStore implements EnvelopeStore {
  private readonly cache = new Map<string, Promise<ArchiveObject>>();

  constructor(private readonly options: S3EnvelopeStoreOptions) {}

  async get(location: ArchiveLocation): Promise<DeadLetterEnvelope | undefined> {
    const object = await this.object(location.bucket, location.key);
    if (object === undefined) return undefined;
    if ("unreadable" in object) throw new ArchiveUnreadableError(object.unreadable);
    const { envelopes } = object;
    const atLine = envelopes[location.line];
    if (atLine?.id === location.id) return atLine;
    // An id written before ids carried a tag still finds its envelope by its coordinates.
    return (
      envelopes.find((e) => e.id === location.id) ?? envelopes.find((e) => sameRecord(location.id, e.id))
    );
  }

  /** All envelopes of one object, fetched once and shared by concurrent readers. */
  private object(bucket: string, key: string): Promise<ArchiveObject> {
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

  private async fetch(bucket: string, key: string): Promise<ArchiveObject> {
    const where = `s3://${bucket}/${key}`;
    let bytes: Uint8Array;
    try {
      const response = await this.options.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (response.Body === undefined) return undefined;
      bytes = await response.Body.transformToByteArray();
    } catch (error) {
      if (isMissing(error)) return undefined;
      const unreadable = unreadableBecause(error, where);
      if (unreadable !== undefined) return { unreadable };
      throw translateAwsError(error, `reading ${where}`);
    }
    let text: string;
    try {
      text = (await maybeGunzip(Buffer.from(bytes))).toString("utf8");
    } catch (error) {
      return {
        unreadable: `${where} is not a readable archive (gzip JSON Lines): ${(error as Error).message}`,
      };
    }
    const envelopes: DeadLetterEnvelope[] = [];
    const lines = text.split("\n");
    for (const [i, line] of lines.entries()) {
      if (line.trim() === "") continue;
      try {
        envelopes.push(JSON.parse(line) as DeadLetterEnvelope);
      } catch {
        return { unreadable: `${where} is not a readable archive: line ${i + 1} is not a JSON envelope` };
      }
    }
    return { envelopes };
  }
}

/**
 * Why S3 refuses an object for good, in words an operator can act on; undefined for faults that
 * may pass (throttling, 5xx, network), which stop the run instead.
 *
 * GetObject on an object in S3 Glacier Flexible Retrieval or Deep Archive (or an Intelligent-Tiering
 * archive tier) answers InvalidObjectState (403) until the object is restored with RestoreObject:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 * Without s3:ListBucket, S3 answers a missing key with AccessDenied (403) rather than NoSuchKey:
 * https://docs.aws.amazon.com/sdk-for-python/v4/guide/s3-errors.html
 */
function unreadableBecause(error: unknown, where: string): string | undefined {
  if (isProgrammingError(error)) return undefined;
  const e = (typeof error === "object" && error !== null ? error : {}) as {
    name?: string;
    message?: string;
    StorageClass?: string;
    AccessTier?: string;
    $metadata?: { httpStatusCode?: number };
  };
  if (e.name === "InvalidObjectState") {
    const tier = e.AccessTier ?? e.StorageClass ?? "an archive tier";
    return (
      `${where} is archived in storage class ${tier}: restore it (S3 RestoreObject) and redrive ` +
      "again, or discard the letter"
    );
  }
  if (e.name === "AccessDenied" || e.$metadata?.httpStatusCode === 403) {
    return (
      `access denied reading ${where} (${e.name ?? "403"}: ${e.message ?? ""}): the redrive needs ` +
      "s3:GetObject on the archive (and kms:Decrypt if it is KMS-encrypted); a missing object reads " +
      "as access denied without s3:ListBucket"
    );
  }
  if (isRetriable(translateAwsError(error, where))) return undefined;
  return `${where} cannot be read: ${e.name ?? "Error"}: ${e.message ?? String(error)}`;
}

/** Gzip objects may come back decoded (a proxy honouring Content-Encoding) or not: the magic decides. */
export async function maybeGunzip(bytes: Buffer): Promise<Buffer> {
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipAsync(bytes) : bytes;
}

export function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}
