/**
 * The Confluent wire format: byte 0 is the magic byte 0, bytes 1-4 the schema id (big-endian
 * unsigned), then the payload. Protobuf payloads start with the message indexes: a zig-zag varint
 * count followed by that many zig-zag varint indexes (the path to the message among the schema's
 * message types), where the common `[0]` is written as the single byte 0.
 * https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format
 */
import { SchemaDecodeError } from "../core/errors";
import { UNKNOWN_FORMAT } from "./constants";

export const CONFLUENT_MAGIC_BYTE = 0;
const HEADER_BYTES = 5;
/** More indexes than any schema nests messages deep: a count above this is garbage, not a path. */
const MAX_MESSAGE_INDEXES = 256;

export interface ConfluentFrame {
  readonly schemaId: number;
  /** Everything after the 5-byte header (message indexes included for Protobuf). */
  readonly body: Buffer;
}

/** Splits the header off; bytes without it are a decode failure that names no schema. */
export function parseConfluentFrame(bytes: Buffer): ConfluentFrame {
  if (bytes.length < HEADER_BYTES || bytes[0] !== CONFLUENT_MAGIC_BYTE) {
    throw new SchemaDecodeError(
      { format: UNKNOWN_FORMAT, schemaId: undefined },
      `no Confluent wire-format header (magic byte ${CONFLUENT_MAGIC_BYTE} and a 4-byte schema id)`,
    );
  }
  return { schemaId: bytes.readUInt32BE(1), body: bytes.subarray(HEADER_BYTES) };
}

export function encodeConfluentFrame(
  schemaId: number,
  payload: Buffer,
  messageIndexes?: readonly number[],
): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = CONFLUENT_MAGIC_BYTE;
  header.writeUInt32BE(schemaId, 1);
  const parts: Buffer[] = [header];
  if (messageIndexes !== undefined) parts.push(encodeMessageIndexes(messageIndexes));
  parts.push(payload);
  return Buffer.concat(parts);
}

export interface MessageIndexes {
  readonly indexes: readonly number[];
  readonly payload: Buffer;
}

/** Reads the Protobuf message indexes at the start of `body`; throws a RangeError on bad bytes. */
export function readMessageIndexes(body: Buffer): MessageIndexes {
  let position = 0;
  const next = (): number => {
    const { value, length } = readZigZagVarint(body, position);
    position += length;
    return value;
  };
  const count = next();
  if (count === 0) return { indexes: [0], payload: body.subarray(position) };
  if (count < 0 || count > MAX_MESSAGE_INDEXES) throw new RangeError(`message index count ${count}`);
  const indexes: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const index = next();
    if (index < 0) throw new RangeError(`negative message index ${index}`);
    indexes.push(index);
  }
  return { indexes, payload: body.subarray(position) };
}

export function encodeMessageIndexes(indexes: readonly number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0]);
  return Buffer.concat([indexes.length, ...indexes].map(writeZigZagVarint));
}

function readZigZagVarint(bytes: Buffer, start: number): { value: number; length: number } {
  let raw = 0;
  let shift = 0;
  for (let i = start; i < bytes.length && shift < 35; i += 1) {
    const byte = bytes[i] as number;
    raw += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) {
      const value = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      return { value, length: i - start + 1 };
    }
  }
  throw new RangeError("truncated message indexes");
}

function writeZigZagVarint(value: number): Buffer {
  let raw = value >= 0 ? value * 2 : -value * 2 - 1;
  const bytes: number[] = [];
  while (raw >= 0x80) {
    bytes.push((raw % 0x80) | 0x80);
    raw = Math.floor(raw / 0x80);
  }
  bytes.push(raw);
  return Buffer.from(bytes);
}
