/**
 * CSV made in the browser (the import's row errors, to hand back to whoever fixes the
 * file). Excel opens it as UTF-8 thanks to the byte-order mark, and a cell that starts
 * like a formula is quoted with a leading `'` so a spreadsheet never runs it (the same
 * rule the server's exports follow).
 */
import type { RowError } from "../types";

const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: formula guard, then RFC 4180 quoting when needed. */
export function csvCell(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows as CSV text, CRLF line ends (RFC 4180), with a BOM for Excel. */
export function toCsv(rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return "\ufeff" + rows.map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

/** The import's error report: line, column, message, one error a row, by line. */
export function importErrorsCsv(
  errors: readonly RowError[],
  header: readonly [string, string, string],
): string {
  const sorted = [...errors].sort((a, b) => a.line - b.line);
  return toCsv([header, ...sorted.map((e) => [e.line, e.field, e.message])]);
}

/** Offer `text` as a file download (made in the browser, nothing sent). */
export function downloadText(
  text: string,
  filename: string,
  type = "text/csv;charset=utf-8",
): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
