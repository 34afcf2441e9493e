/** A handler module whose top-level code throws: INIT fails, as with a bad configuration. */
throw new SyntaxError("bad configuration at INIT");

export function handler(): string {
  return "never";
}
