import zlib from "node:zlib";

const windows1252 = new TextDecoder("windows-1252");

/**
 * The text of each page of a PDF written by pdfkit with its standard fonts: every content stream
 * is inflated (FlateDecode; a stream that is not compressed is read as it is) and the hex strings of its TJ operators are decoded as Windows-1252.
 * Pieces of one TJ (split for kerning) are joined; each TJ (one line of text) ends with a line
 * break. Enough to check what a report says, not a general PDF reader.
 */
export function pdfPageTexts(pdf: Buffer): string[] {
  const raw = pdf.toString("latin1");
  const pages: string[] = [];
  // A stream starts after its dictionary's ">>". Matching "stream" alone also matched the tail of
  // "endstream", took the next object's compressed bytes as a page, and now and then found "BT" in
  // them: a page with no text that made the tests flaky.
  for (const match of raw.matchAll(/(?<=>>\s*)stream\r?\n/g)) {
    const start = match.index + match[0].length;
    const end = raw.indexOf("endstream", start);
    const bytes = pdf.subarray(start, end);
    let content: string;
    try {
      content = zlib.inflateSync(bytes).toString("latin1");
    } catch {
      content = bytes.toString("latin1");
    }
    if (!/\bBT\b/.test(content)) continue;
    const lines = [...content.matchAll(/\[((?:<[0-9a-fA-F]*>|[-\d.\s])*)\]\s*TJ/g)].map((tj) =>
      [...tj[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((hex) => windows1252.decode(Buffer.from(hex[1], "hex"))).join(""),
    );
    pages.push(lines.join("\n"));
  }
  return pages;
}
