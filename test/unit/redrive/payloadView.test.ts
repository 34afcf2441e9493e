import { describe, expect, it } from "vitest";
import { describePayload, hexDump } from "../../../functions/lib/redrive/payloadView";

const b64 = (bytes: string | Buffer) => Buffer.from(bytes).toString("base64");

describe("describePayload", () => {
  it("pretty-prints JSON objects", () => {
    expect(describePayload(b64('{"a":1,"b":[true]}'))).toEqual({
      encoding: "json",
      bytes: 18,
      display: '{\n  "a": 1,\n  "b": [\n    true\n  ]\n}',
      base64: undefined,
    });
  });

  it("shows printable UTF-8 as text, broken JSON included", () => {
    expect(describePayload(b64('{"a":'))).toMatchObject({ encoding: "text", display: '{"a":' });
    expect(describePayload(b64("héllo\nworld"))).toMatchObject({ encoding: "text", display: "héllo\nworld" });
  });

  it("dumps binary data as hex and keeps every byte as base64", () => {
    const bytes = Buffer.from([0x00, 0x01, 0x7b, 0xff]);
    const view = describePayload(b64(bytes));

    expect(view.encoding).toBe("binary");
    expect(view.display).toBe(`00000000  ${"00 01 7b ff".padEnd(47)}  |..{.|`);
    expect(view.base64).toBe(b64(bytes));
  });

  it("truncates a long dump but not the base64", () => {
    const bytes = Buffer.alloc(40, 0x80);
    const view = describePayload(b64(bytes), 16);

    expect(view.display.split("\n")).toHaveLength(2);
    expect(view.display).toContain("… 24 more bytes");
    expect(Buffer.from(view.base64 ?? "", "base64")).toEqual(bytes);
  });

  it("says null for an absent value", () => {
    expect(describePayload(null)).toMatchObject({ encoding: "null", display: "(null)", bytes: 0 });
  });

  it("prints sixteen bytes a line", () => {
    expect(hexDump(Buffer.from("0123456789abcdefXY")).split("\n")[1]).toBe(
      "00000010  58 59                                            |XY|",
    );
  });
});
