/**
 * The AWS Glue Schema Registry wire format: byte 0 is the header version (3), byte 1 the
 * compression (0 none, 5 zlib), bytes 2-17 the schema version id (a UUID, most significant bits
 * first), then the payload, zlib-compressed when byte 1 says so. Constants as in the Glue serde
 * library's `AWSSchemaRegistryConstants` (HEADER_VERSION_BYTE 3, COMPRESSION_BYTE 5,
 * COMPRESSION_DEFAULT_BYTE 0, an 18-byte header).
 * https://github.com/awslabs/aws-glue-schema-registry (common/.../utils/AWSSchemaRegistryConstants.java)
 */
import { inflateSync } from "node:zlib";
import { SchemaDecodeError } from "../core/errors";
import { UNKNOWN_FORMAT } from "./constants";

export const GLUE_HEADER_VERSION = 3;
export const GLUE_COMPRESSION = { none: 0, zlib: 5 } as const;
const UUID_BYTES = 16;
const HEADER_BYTES = 2 + UUID_BYTES;
/** Inflated payloads above this are refused: a few bytes must not expand into gigabytes. */
const MAX_INFLATED_BYTES = 10 * 1024 * 1024;

export interface GlueFrame {
  readonly schemaVersionId: string;
  readonly compressed: boolean;
  /** The payload, inflated when it was compressed. */
  readonly payload: Buffer;
}

export function parseGlueFrame(bytes: Buffer): GlueFrame {
  const unknown = { format: UNKNOWN_FORMAT, schemaId: undefined };
  if (bytes.length < HEADER_BYTES || bytes[0] !== GLUE_HEADER_VERSION) {
    throw new SchemaDecodeError(unknown, `no Glue wire-format header (version byte ${GLUE_HEADER_VERSION})`);
  }
  const compression = bytes[1];
  if (compression !== GLUE_COMPRESSION.none && compression !== GLUE_COMPRESSION.zlib) {
    throw new SchemaDecodeError(unknown, `unknown Glue compression byte ${compression}`);
  }
  const schemaVersionId = formatUuid(bytes.subarray(2, HEADER_BYTES));
  const body = bytes.subarray(HEADER_BYTES);
  if (compression === GLUE_COMPRESSION.none) return { schemaVersionId, compressed: false, payload: body };
  try {
    return {
      schemaVersionId,
      compressed: true,
      payload: inflateSync(body, { maxOutputLength: MAX_INFLATED_BYTES }),
    };
  } catch (error) {
    throw new SchemaDecodeError(
      { format: UNKNOWN_FORMAT, schemaId: schemaVersionId },
      "the zlib-compressed payload does not inflate",
      { cause: error },
    );
  }
}

export function encodeGlueFrame(schemaVersionId: string, payload: Buffer, compressed: Buffer | null): Buffer {
  const header = Buffer.alloc(2);
  header[0] = GLUE_HEADER_VERSION;
  header[1] = compressed === null ? GLUE_COMPRESSION.none : GLUE_COMPRESSION.zlib;
  return Buffer.concat([header, parseUuid(schemaVersionId), compressed ?? payload]);
}

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function parseUuid(uuid: string): Buffer {
  const hex = uuid.replaceAll("-", "");
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new RangeError(`not a UUID: ${uuid}`);
  return Buffer.from(hex, "hex");
}
