/**
 * Cross-site scripting sinks: added lines that put a value into a page without escaping it. Every
 * framework escapes by default and offers one way out (React's dangerouslySetInnerHTML, Vue's
 * v-html, Django's mark_safe and |safe, Rails' html_safe and raw, Blade's {!! !!}, Handlebars'
 * {{{ }}}, Go's template.HTML, Angular's bypassSecurityTrust*); a pull request that reaches for one
 * with a value that is not a constant string needs a person to check where the value comes from.
 *
 * Line rules: each pattern is anchored on the sink's own name and reads a bounded distance past
 * it, so none can rescan a line.
 */
import type { RuleFinding } from "../../../lib/review/review-output";
import { codeLines, type FileView } from "../file-view";
import { finding } from "../finding";

interface MarkupSink {
  rule: string;
  what: string;
  pattern: RegExp;
}

/** A constant string argument or value: the sink is then fed nothing from outside. */
const CONSTANT_ARGUMENT = /^\s*(?:"[^"$`{]*"|'[^'$`{]*')\s*\)?\s*[;,]?\s*$/;

const SINKS: MarkupSink[] = [
  { rule: "react-dangerously-set-inner-html", what: "dangerouslySetInnerHTML", pattern: /\bdangerouslySetInnerHTML\s*=\s*\{\{?\s*__html\s*:\s*(?!\s*(?:DOMPurify\.)?sanitize)/ },
  { rule: "dom-inner-html", what: "an innerHTML/outerHTML assignment", pattern: /\.(?:innerHTML|outerHTML)\s*\+?=(?!=)/ },
  { rule: "dom-document-write", what: "document.write", pattern: /\bdocument\.write(?:ln)?\s*\(/ },
  { rule: "vue-v-html", what: "v-html", pattern: /\bv-html\s*=/ },
  { rule: "django-mark-safe", what: "mark_safe", pattern: /\bmark_safe\s*\(/ },
  { rule: "template-safe-filter", what: "the |safe filter", pattern: /\{\{[^}]{0,200}\|\s*safe\b/ },
  { rule: "rails-html-safe", what: "html_safe", pattern: /\.html_safe\b/ },
  { rule: "erb-raw", what: "raw output in ERB", pattern: /<%==|<%=\s*raw[\s(]/ },
  { rule: "blade-unescaped", what: "Blade's unescaped {!! !!}", pattern: /\{!!\s*[^!]/ },
  { rule: "handlebars-triple-stash", what: "a Handlebars/Mustache triple-stash {{{ }}}", pattern: /\{\{\{\s*[\w.@]/ },
  { rule: "go-template-html", what: "template.HTML", pattern: /\btemplate\.(?:HTML|JS|URL|HTMLAttr)\s*\(/ },
  { rule: "angular-bypass-security", what: "Angular's bypassSecurityTrust", pattern: /\.bypassSecurityTrust(?:Html|Script|Style|Url|ResourceUrl)\s*\(/ },
  { rule: "php-echo-request", what: "echo of request input", pattern: /\b(?:echo|print)\s*\(?\s*\$_(?:GET|POST|REQUEST|COOKIE|SERVER)\b/ },
];

/** What follows the sink's name on the line: "(...)" or "= ..." up to a bounded length. */
function argumentAfter(content: string, pattern: RegExp): string {
  const m = pattern.exec(content);
  if (!m) return "";
  return content.slice(m.index + m[0].length, m.index + m[0].length + 400).replace(/^\s*\(?/, "");
}

export function detectMarkupSinks(view: FileView): RuleFinding[] {
  if (view.isTest || view.isDoc) return [];
  const findings: RuleFinding[] = [];
  for (const { line, content } of codeLines(view.added)) {
    for (const sink of SINKS) {
      if (!sink.pattern.test(content)) continue;
      // A constant written straight into the sink is markup the author wrote, not input.
      if (CONSTANT_ARGUMENT.test(argumentAfter(content, sink.pattern))) continue;
      findings.push(finding("xss", sink.rule, "high", view.path, line, `Puts a value into the page without escaping it (${sink.what}): if any part of it comes from a user, that user's script runs in other users' browsers.`));
      break;
    }
  }
  return findings;
}
