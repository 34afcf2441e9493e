/** Base class of the errors the emulator raises on purpose; the CLI prints their message only. */
export class EmulatorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A mapping setting AWS would refuse; names the setting (CLI flag or option). */
export class MappingSettingError extends EmulatorError {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting} ${problem}`);
  }
}

/** The handler module cannot be imported or does not export a function under that name. */
export class HandlerLoadError extends EmulatorError {}

/** The handler ran past the function timeout: Lambda reports `Task timed out after N seconds`. */
export class InvocationTimeoutError extends EmulatorError {
  constructor(readonly timeoutMs: number) {
    super(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
  }
}
