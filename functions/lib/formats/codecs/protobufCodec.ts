import protobuf from "protobufjs";
import type { Codec, CodecOptions } from "../types";

/** How decoded messages are handed to the schema: JSON-safe (64-bit integers and bytes as strings). */
const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

/**
 * Protobuf with protobufjs: it parses `.proto` text at run time, which is what a registry returns
 * (`@bufbuild/protobuf` needs a compiled descriptor, so a schema fetched at run time would need
 * a `.proto` compiler too). The message is found by Confluent's message indexes (a path through the
 * schema's message types in declaration order), or named by `protobufMessage` when the bytes carry
 * no indexes (Glue, the mapping's SOURCE format), else the first message of the file.
 */
export function protobufCodec(definition: string, options: CodecOptions): Codec {
  const parsed = protobuf.parse(definition, { keepCase: true });
  const root = parsed.root;
  const scope = parsed.package === undefined ? root : root.lookup(parsed.package);
  if (!(scope instanceof protobuf.Namespace)) throw new TypeError("the schema's package is not a namespace");
  const byPath = new Map<string, protobuf.Type>();
  const named = options.protobufMessage === undefined ? undefined : root.lookupType(options.protobufMessage);

  const typeAt = (indexes: readonly number[]): protobuf.Type => {
    const key = indexes.join(".");
    let type = byPath.get(key);
    if (type === undefined) {
      let candidates = messagesOf(scope);
      for (const index of indexes) {
        type = candidates[index];
        if (type === undefined) throw new RangeError(`no message at index path [${key}]`);
        candidates = messagesOf(type);
      }
      if (type === undefined) throw new RangeError("the schema has no message");
      byPath.set(key, type);
    }
    return type;
  };
  const defaultType = named ?? typeAt([0]);
  const pathOf = (type: protobuf.Type) => indexPath(scope, type);

  return {
    decode: (payload, messageIndexes) => {
      const type = messageIndexes.length === 0 ? defaultType : typeAt(messageIndexes);
      return type.toObject(type.decode(payload), TO_OBJECT);
    },
    encode: (value) => {
      // fromObject accepts what decode hands out (64-bit integers as strings), verify the rest.
      const message = defaultType.fromObject(value as Record<string, unknown>);
      const problem = defaultType.verify(message);
      if (problem !== null) throw new TypeError(`not valid for ${defaultType.fullName}: ${problem}`);
      const payload = Buffer.from(defaultType.encode(message).finish());
      return { payload, messageIndexes: pathOf(defaultType) };
    },
  };
}

function messagesOf(namespace: protobuf.NamespaceBase): protobuf.Type[] {
  return namespace.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
}

function indexPath(scope: protobuf.NamespaceBase, type: protobuf.Type): number[] {
  const chain: protobuf.Type[] = [];
  for (let t: protobuf.NamespaceBase | null = type; t instanceof protobuf.Type; t = t.parent)
    chain.unshift(t);
  const path: number[] = [];
  let candidates = messagesOf(scope);
  for (const t of chain) {
    path.push(candidates.indexOf(t));
    candidates = messagesOf(t);
  }
  return path;
}
