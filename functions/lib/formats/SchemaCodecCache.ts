import { SchemaDecodeError } from "../core/errors";
import { loadCodec } from "./codecs/loadCodec";
import type { Codec, CodecOptions, RegisteredSchema, SchemaRegistry } from "./types";

export interface CompiledSchema {
  readonly schema: RegisteredSchema;
  readonly codec: Codec;
}

export interface SchemaCodecCacheOptions extends CodecOptions {
  /** How long a subject's latest version is used before it is asked again. @default 300_000 */
  readonly subjectRefreshMs?: number;
  readonly now?: () => number;
}

/**
 * Schemas fetched from the registry and compiled, kept for the life of the container (the cache is
 * built with the pipelines at INIT, in module scope): a schema id names one immutable schema, so a
 * batch of thousands asks the registry once per id, and the next invocation not at all. Concurrent
 * records of one id share one request. A failed lookup is forgotten, so the next record (or the
 * retried batch) asks again: a registry that was down, or a schema registered late, recovers.
 */
export class SchemaCodecCache {
  private readonly ids = new Map<string, Promise<CompiledSchema>>();
  private readonly subjects = new Map<
    string,
    { readonly at: number; readonly compiled: Promise<CompiledSchema> }
  >();
  private readonly refreshMs: number;
  private readonly now: () => number;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly options: SchemaCodecCacheOptions = {},
  ) {
    this.refreshMs = options.subjectRefreshMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  byId(id: string, signal?: AbortSignal): Promise<CompiledSchema> {
    let compiled = this.ids.get(id);
    if (compiled === undefined) {
      compiled = this.registry.schemaById(id, signal).then((schema) => this.compile(schema));
      this.ids.set(id, compiled);
      compiled.catch(() => this.ids.delete(id));
    }
    return compiled;
  }

  /** The newest version of `subject`, for re-encoding; asked again after `subjectRefreshMs`. */
  latest(subject: string, signal?: AbortSignal): Promise<CompiledSchema> {
    const cached = this.subjects.get(subject);
    if (cached !== undefined && this.now() - cached.at < this.refreshMs) return cached.compiled;
    const compiled = this.registry.latestVersion(subject, signal).then((schema) => this.compile(schema));
    this.subjects.set(subject, { at: this.now(), compiled });
    compiled.then(
      ({ schema }) => {
        if (!this.ids.has(schema.id)) this.ids.set(schema.id, compiled);
      },
      () => {
        if (this.subjects.get(subject)?.compiled === compiled) this.subjects.delete(subject);
      },
    );
    return compiled;
  }

  private async compile(schema: RegisteredSchema): Promise<CompiledSchema> {
    try {
      return { schema, codec: await loadCodec(schema, this.options) };
    } catch (error) {
      throw new SchemaDecodeError(
        { format: schema.format, schemaId: schema.id },
        `the registry's schema does not compile (${error instanceof Error ? error.message.slice(0, 200) : String(error)})`,
        { cause: error },
      );
    }
  }
}
