import { isUtf8 } from "node:buffer";

export const PAYLOAD_ENCODINGS = {
  json: "json",
  text: "text",
  binary: "binary",
  absent: "null",
} as const;
export type PayloadEncoding = (typeof PAYLOAD_ENCODINGS)[keyof typeof PAYLOAD_ENCODINGS];

export interface PayloadView {
  readonly encoding: PayloadEncoding;
  readonly bytes: number;
  /** Pretty JSON, the text itself, or a hex dump (first `maxHexBytes` bytes) for binary data. */
  readonly display: string;
  /** The exact bytes as base64, for binary data, so nothing is lost to the dump's truncation. */
  readonly base64: string | undefined;
}

// Control characters other than tab, newline and carriage return make text unreadable on a terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting them is the point.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * How `dlq show` presents a key or value: JSON pretty-printed when it is JSON, text when it is
 * printable UTF-8, otherwise a hex dump plus the base64 of every byte.
 *
 * @example
 * describePayload(Buffer.from('{"a":1}').toString("base64")).display; // '{\n  "a": 1\n}'
 */
export function describePayload(base64: string | null, maxHexBytes = 256): PayloadView {
  if (base64 === null)
    return { encoding: PAYLOAD_ENCODINGS.absent, bytes: 0, display: "(null)", base64: undefined };
  const bytes = Buffer.from(base64, "base64");
  if (isUtf8(bytes)) {
    const text = bytes.toString("utf8");
    const json = parseJson(text);
    if (json !== undefined) {
      return {
        encoding: PAYLOAD_ENCODINGS.json,
        bytes: bytes.length,
        display: JSON.stringify(json, null, 2),
        base64: undefined,
      };
    }
    if (!CONTROL.test(text)) {
      return { encoding: PAYLOAD_ENCODINGS.text, bytes: bytes.length, display: text, base64: undefined };
    }
  }
  return {
    encoding: PAYLOAD_ENCODINGS.binary,
    bytes: bytes.length,
    display:
      hexDump(bytes.subarray(0, maxHexBytes)) +
      (bytes.length > maxHexBytes ? `\n… ${bytes.length - maxHexBytes} more bytes` : ""),
    base64,
  };
}

/** `00000000  7b 22 61 22 ...  |{"a"...|`, sixteen bytes a line, like `hexdump -C`. */
export function hexDump(bytes: Buffer): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  return lines.join("\n");
}

function parseJson(text: string): unknown {
  const trimmed = text.trim();
  // Only objects and arrays: "42" or "true" read better as the text they are.
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return undefined;
  }
}
