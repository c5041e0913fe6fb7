/**
 * The page layout shared by the audit PDF reports (pdfkit): headings, fact lists, tables that
 * break across pages with their header repeated, and on every page a running header plus a
 * footer with the generation time, the chain checkpoint and "Page i of N".
 *
 * Only the 14 standard PDF fonts are used (pdfkit ships their metrics; nothing to install). They
 * encode text as Windows-1252, so characters outside it are spelled out (≥ as >=, ✓ as "yes")
 * rather than printed as the wrong glyph.
 */
import PDFDocument from "pdfkit";

export interface ReportFrame {
  /** Running header on every page. */
  title: string;
  /** When the report was made, ISO 8601. */
  generatedAt: string;
  /** One line about the chain: verified through which sequence, with which head hash. */
  checkpoint: string;
  /** Set `compress: false` to make the raw PDF readable (tests do not need it: they inflate). */
  compress?: boolean;
}

const MARGIN = 50;
const HEADER_Y = 22;
const FOOTER_GAP = 34;
const INK = "#0f172a";
const MUTED = "#475569";
const RULE = "#cbd5e1";
const SHADE = "#f1f5f9";

/** The Windows-1252 characters beyond ASCII and Latin-1 (0x80-0x9F), which the standard fonts can print. */
const cp1252Extras = new Set("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ");
const spelledOut: Record<string, string> = { "≥": ">=", "≤": "<=", "≠": "!=", "✓": "yes", "✗": "no", "→": "->", "←": "<-", "×": "x", "−": "-", "…": "..." };

/** Text the standard fonts can print: unknown characters are spelled out or replaced by "?". */
export function printable(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === "\n" || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || cp1252Extras.has(char)) out += spelledOut[char] ?? char;
    else if (char === "\t") out += "  ";
    else if (code >= 0x20) out += spelledOut[char] ?? "?";
  }
  return out;
}

export interface TableColumn {
  header: string;
  /** Share of the text width (the shares of a table add up to 1). */
  width: number;
  mono?: boolean;
}

export class ReportPdf {
  readonly doc: PDFKit.PDFDocument;
  private readonly chunks: Buffer[] = [];
  private readonly ended: Promise<void>;

  constructor(private readonly frame: ReportFrame) {
    this.doc = new PDFDocument({
      size: "A4",
      margins: { top: MARGIN + 12, bottom: MARGIN + FOOTER_GAP, left: MARGIN, right: MARGIN },
      bufferPages: true,
      compress: frame.compress ?? true,
      info: { Title: printable(frame.title), Creator: "Flowgate", CreationDate: new Date(frame.generatedAt) },
    });
    this.doc.on("data", (chunk: Buffer) => this.chunks.push(chunk));
    this.ended = new Promise((resolve, reject) => {
      this.doc.on("end", resolve);
      this.doc.on("error", reject);
    });
    this.doc.font("Helvetica").fontSize(10).fillColor(INK);
  }

  private get width() {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
  }

  private get left() {
    return this.doc.page.margins.left;
  }

  /** Starts a new page when less than `height` points are left on this one. */
  private keepTogether(height: number) {
    if (this.doc.y + height > this.doc.page.height - this.doc.page.margins.bottom) this.doc.addPage();
  }

  title(text: string, subtitle?: string) {
    this.doc.font("Helvetica-Bold").fontSize(18).fillColor(INK).text(printable(text), this.left, this.doc.y, { width: this.width });
    if (subtitle) this.doc.font("Helvetica").fontSize(10).fillColor(MUTED).text(printable(subtitle), { width: this.width });
    this.doc.moveDown(0.8).fillColor(INK);
  }

  heading(text: string) {
    this.keepTogether(60);
    this.doc.moveDown(0.6).font("Helvetica-Bold").fontSize(13).fillColor(INK).text(printable(text), this.left, this.doc.y, { width: this.width });
    const y = this.doc.y + 2;
    this.doc.moveTo(this.left, y).lineTo(this.left + this.width, y).lineWidth(0.5).strokeColor(RULE).stroke();
    this.doc.moveDown(0.5).font("Helvetica").fontSize(10);
  }

  subheading(text: string) {
    this.keepTogether(40);
    this.doc.moveDown(0.3).font("Helvetica-Bold").fontSize(11).fillColor(INK).text(printable(text), this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.2).font("Helvetica").fontSize(10);
  }

  paragraph(text: string, options: { muted?: boolean } = {}) {
    this.doc.font("Helvetica").fontSize(10).fillColor(options.muted ? MUTED : INK).text(printable(text), this.left, this.doc.y, { width: this.width });
    this.doc.fillColor(INK).moveDown(0.3);
  }

  /** Term and value pairs, the term in a narrow bold column. */
  facts(rows: [string, string][]) {
    const termWidth = 130;
    const valueWidth = this.width - termWidth - 8;
    for (const [term, value] of rows) {
      const termText = printable(term);
      const valueText = printable(value || "–");
      this.doc.font("Helvetica").fontSize(10);
      const height = Math.max(this.doc.heightOfString(termText, { width: termWidth }), this.doc.heightOfString(valueText, { width: valueWidth }));
      this.keepTogether(height + 3);
      const y = this.doc.y;
      this.doc.font("Helvetica-Bold").fillColor(MUTED).text(termText, this.left, y, { width: termWidth });
      this.doc.font("Helvetica").fillColor(INK).text(valueText, this.left + termWidth + 8, y, { width: valueWidth });
      this.doc.x = this.left;
      this.doc.y = y + height + 3;
    }
    this.doc.moveDown(0.3);
  }

  /** A table whose rows never split across pages; the header row is repeated on each new page. */
  table(columns: TableColumn[], rows: string[][], options: { empty?: string } = {}) {
    if (rows.length === 0) {
      this.paragraph(options.empty ?? "None.", { muted: true });
      return;
    }
    const padding = 3;
    const widths = columns.map((c) => c.width * this.width);
    const fontOf = (column: TableColumn, header: boolean) => (header ? "Helvetica-Bold" : column.mono ? "Courier" : "Helvetica");
    const measure = (cells: string[], header: boolean) =>
      Math.max(
        ...cells.map((cell, i) => {
          this.doc.font(fontOf(columns[i], header)).fontSize(header ? 8.5 : 8.5);
          return this.doc.heightOfString(cell, { width: widths[i] - 2 * padding });
        }),
      ) +
      2 * padding;
    const drawRow = (cells: string[], header: boolean, shaded: boolean) => {
      const height = measure(cells, header);
      const y = this.doc.y;
      if (header || shaded) this.doc.rect(this.left, y, this.width, height).fill(header ? "#e2e8f0" : SHADE);
      let x = this.left;
      cells.forEach((cell, i) => {
        this.doc.font(fontOf(columns[i], header)).fontSize(8.5).fillColor(INK).text(cell, x + padding, y + padding, { width: widths[i] - 2 * padding });
        x += widths[i];
      });
      this.doc.x = this.left;
      this.doc.y = y + height;
    };
    const header = columns.map((c) => printable(c.header));
    const body = rows.map((row) => row.map((cell) => printable(cell || "–")));
    this.keepTogether(measure(header, true) + measure(body[0], false));
    drawRow(header, true, false);
    body.forEach((cells, index) => {
      const height = measure(cells, false);
      if (this.doc.y + height > this.doc.page.height - this.doc.page.margins.bottom) {
        this.doc.addPage();
        drawRow(header, true, false);
      }
      drawRow(cells, false, index % 2 === 1);
    });
    this.doc.moveDown(0.6).font("Helvetica").fontSize(10);
  }

  /** Header and footer on every page, now that the page count is known; then the file's bytes. */
  async finish(): Promise<Buffer> {
    const range = this.doc.bufferedPageRange();
    const total = range.count;
    for (let i = range.start; i < range.start + total; i++) {
      this.doc.switchToPage(i);
      const { margins } = this.doc.page;
      // Writing inside the margins would make pdfkit start a new page; lift them while drawing.
      const saved = { ...margins };
      this.doc.page.margins = { top: 0, bottom: 0, left: saved.left, right: saved.right };
      const width = this.doc.page.width - saved.left - saved.right;
      const bottom = this.doc.page.height - MARGIN - 4;
      this.doc.font("Helvetica").fontSize(8).fillColor(MUTED);
      this.doc.text(printable(this.frame.title), saved.left, HEADER_Y, { width, lineBreak: false, ellipsis: true });
      this.doc.moveTo(saved.left, bottom - 4).lineTo(saved.left + width, bottom - 4).lineWidth(0.5).strokeColor(RULE).stroke();
      this.doc.text(printable(`Generated at ${this.frame.generatedAt}`), saved.left, bottom, { width: width - 80, lineBreak: false });
      this.doc.text(`Page ${i - range.start + 1} of ${total}`, saved.left + width - 80, bottom, { width: 80, align: "right", lineBreak: false });
      this.doc.text(printable(this.frame.checkpoint), saved.left, bottom + 11, { width, lineBreak: false, ellipsis: true });
      this.doc.page.margins = saved;
    }
    this.doc.end();
    await this.ended;
    return Buffer.concat(this.chunks);
  }
}

/** "sha 1a2b3c4d5e6f…" style: enough of a hash to compare by eye, the full value stays in the data. */
export function shortHash(hash: string | null): string {
  return hash ? `${hash.slice(0, 16)}…` : "–";
}

export function utcText(iso: string | null): string {
  return iso ? `${iso.slice(0, 19).replace("T", " ")} UTC` : "–";
}
