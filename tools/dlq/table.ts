export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string;
  /** Shrinks first when the terminal is narrow (long texts such as error messages). */
  readonly flexible?: boolean;
  readonly align?: "left" | "right";
}

/**
 * Renders rows as a plain-text table fitted to `width`: fixed columns keep their width, the
 * flexible one gets the rest and ends with `…` when cut.
 */
export function renderTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  width = 120,
): string[] {
  const cells = rows.map((row) => columns.map((c) => oneLine(c.value(row))));
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((r) => (r[i] as string).length)),
  );
  const gap = 2;
  const total = widths.reduce((a, b) => a + b, 0) + gap * (columns.length - 1);
  const flexible = columns.findIndex((c) => c.flexible);
  if (total > width && flexible >= 0) {
    const fixed = total - (widths[flexible] as number);
    widths[flexible] = Math.max(columns[flexible]?.header.length ?? 0, width - fixed, 12);
  }
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => {
        const w = widths[i] as number;
        const cut = v.length > w ? `${v.slice(0, w - 1)}…` : v;
        return columns[i]?.align === "right" ? cut.padStart(w) : cut.padEnd(w);
      })
      .join(" ".repeat(gap))
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)];
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
