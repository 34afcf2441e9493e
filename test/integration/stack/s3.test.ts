import { gunzipSync, gzipSync } from "node:zlib";
import {
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../functions/lib/config";
import { localS3ClientConfig } from "../../../stack/clients";
import { uniqueName } from "../../support/names";

describe("S3 (local server) through @aws-sdk/client-s3", () => {
  const config = loadConfig();
  const bucket = config.archive.bucket;
  const s3 = new S3Client(localS3ClientConfig(config));

  afterAll(() => s3.destroy());

  it("has the dead-letter archive bucket after provisioning", async () => {
    const head = s3.send(new HeadBucketCommand({ Bucket: bucket }));

    await expect(head).resolves.toBeDefined();
  });

  it("writes a gzip object and reads back the same bytes, content type and encoding", async () => {
    const key = `${uniqueName("it-stack-s3", "gzip")}/envelope.json.gz`;
    const envelope = { topic: "employees", partition: 2, offset: "41", value: "é€😀", tombstone: false };
    const body = gzipSync(Buffer.from(JSON.stringify(envelope)));

    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: "application/json",
        ContentEncoding: "gzip",
        Metadata: { "source-topic": "employees" },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);

    expect(bytes.equals(body)).toBe(true);
    expect(JSON.parse(gunzipSync(bytes).toString("utf8"))).toEqual(envelope);
    expect(got.ContentType).toBe("application/json");
    expect(got.ContentEncoding).toBe("gzip");
    expect(got.Metadata).toEqual({ "source-topic": "employees" });
  });

  it("lists objects under a prefix", async () => {
    const prefix = `${uniqueName("it-stack-s3", "list")}/`;
    const keys = ["a.json", "b.json", "c.json"].map((name) => `${prefix}${name}`);
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));

    expect(listed.Contents?.map((o) => o.Key)).toEqual(keys);
  });

  it("refuses requests signed with the wrong secret", async () => {
    const impostor = new S3Client({
      ...localS3ClientConfig(config),
      credentials: { accessKeyId: "local", secretAccessKey: "not-the-secret" },
      maxAttempts: 1,
    });

    const list = impostor.send(new ListBucketsCommand({}));

    await expect(list).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    impostor.destroy();
  });
});
