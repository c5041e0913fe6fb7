import type { CommentSyntax } from "./source-files";

/**
 * Tells code lines from blank and comment-only lines while walking a hunk's new-side lines in
 * order. The state (inside a block comment or docstring) is only known from the first line of
 * the file, so at a hunk that starts further down it is assumed to be "in code"; a line such as
 * ` * text` is then still taken for part of a block comment, the common JSDoc/Javadoc shape.
 * Only whole-line comments count: `x = 1; // note` is code, and a block comment opened in the
 * middle of a code line is not followed.
 */
export class CodeLineClassifier {
  private openBlockEnd: string | null = null;
  private stateKnown = false;

  constructor(private readonly syntax: CommentSyntax) {}

  /** Starts a hunk at new line `firstLine`. */
  startHunk(firstLine: number) {
    this.openBlockEnd = null;
    this.stateKnown = firstLine === 1;
  }

  /** Whether the next new-side line is code; call once per line, in order. */
  isCode(content: string): boolean {
    let rest = content.trim();
    for (;;) {
      if (this.openBlockEnd !== null) {
        const end = rest.indexOf(this.openBlockEnd);
        if (end < 0) return false;
        rest = rest.slice(end + this.openBlockEnd.length).trim();
        this.openBlockEnd = null;
      }
      if (rest === "") return false;
      const opened = this.blockOpening(rest);
      if (opened) {
        this.openBlockEnd = opened.end;
        rest = rest.slice(opened.length);
        continue;
      }
      return !this.isLineComment(rest);
    }
  }

  private blockOpening(line: string): { end: string; length: number } | null {
    const block = this.syntax.blockComment;
    if (block && line.startsWith(block[0])) return { end: block[1], length: block[0].length };
    if (this.syntax.docstrings) {
      const quote = /^[rRuUbB]{0,2}("""|''')/.exec(line);
      if (quote) return { end: quote[1], length: quote[0].length };
    }
    return null;
  }

  private isLineComment(line: string): boolean {
    for (const marker of this.syntax.lineComment) {
      if (line.startsWith(marker) && !(marker === "#" && line.startsWith("#[") && this.syntax.lineComment.includes("//"))) return true;
    }
    // The middle of a block comment whose opening lies before the hunk.
    if (!this.stateKnown && this.syntax.blockComment?.[0] === "/*" && /^\*(\s|\/|$)/.test(line)) return true;
    return false;
  }
}
