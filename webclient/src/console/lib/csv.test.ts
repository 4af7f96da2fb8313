import { describe, expect, it } from "vitest";
import { csvCell, importErrorsCsv, toCsv } from "./csv";

describe("csvCell", () => {
  it("quotes commas, quotes and line breaks, doubling quotes", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell(6)).toBe("6");
    expect(csvCell(null)).toBe("");
  });

  it("defuses text a spreadsheet would run as a formula", () => {
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("+86 139")).toBe("'+86 139");
    expect(csvCell("-5")).toBe("'-5");
    expect(csvCell("@sum")).toBe("'@sum");
    // A number is a number, not text that looks like a formula.
    expect(csvCell(-5)).toBe("-5");
  });
});

describe("importErrorsCsv", () => {
  it("lists the errors by line under the header, with a BOM and CRLF", () => {
    const text = importErrorsCsv(
      [
        { line: 8, field: "external_no", message: "Duplicate of line 2." },
        {
          line: 6,
          field: "tier",
          message: "Unknown tier 'silver'; known: crystal, diamond.",
        },
      ],
      ["line", "field", "message"],
    );
    expect(text).toBe(
      "\ufeffline,field,message\r\n" +
        "6,tier,\"Unknown tier 'silver'; known: crystal, diamond.\"\r\n" +
        "8,external_no,Duplicate of line 2.\r\n",
    );
  });

  it("keeps Chinese text as it is", () => {
    expect(toCsv([["行", "字段"]])).toBe("\ufeff行,字段\r\n");
  });
});
