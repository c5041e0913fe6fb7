import { XMLParser, XMLValidator } from "fast-xml-parser";

/** An XML element with its attributes, child elements in document order and its own text. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's direct text (text nodes and CDATA joined), trimmed. */
  text: string;
}

export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number | null,
    readonly column: number | null,
  ) {
    super(message);
    this.name = "XmlSyntaxError";
  }
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  // Values stay strings: callers validate numbers themselves and name the bad value.
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  // Also decodes numeric character references (&#10;), which test reporters use in messages.
  htmlEntities: true,
  cdataPropName: false,
});

const ATTRIBUTES_KEY = ":@";
const TEXT_KEY = "#text";

type RawNode = Record<string, unknown>;

function toElement(raw: RawNode): XmlElement | null {
  const name = Object.keys(raw).find((key) => key !== ATTRIBUTES_KEY);
  if (name === undefined || name === TEXT_KEY) return null;
  const element: XmlElement = {
    name,
    attributes: (raw[ATTRIBUTES_KEY] as Record<string, string> | undefined) ?? {},
    children: [],
    text: "",
  };
  const texts: string[] = [];
  for (const child of raw[name] as RawNode[]) {
    if (TEXT_KEY in child) texts.push(String(child[TEXT_KEY]));
    else {
      const childElement = toElement(child);
      if (childElement) element.children.push(childElement);
    }
  }
  element.text = texts.join("\n").trim();
  return element;
}

/**
 * The validator reports an unterminated document as "Invalid '["a","b"]' found" at line 1,
 * column 1: say it plainly, without the meaningless position.
 */
function validationError(err: { code: string; msg: string; line?: number; col?: number }): XmlSyntaxError {
  const unclosed = /^Invalid '(\[[\s\S]*\])' found\.?$/.exec(err.msg);
  if (err.code === "InvalidXml" && unclosed) {
    try {
      const open = JSON.parse(unclosed[1]) as string[];
      const list = open.map((tag) => `<${tag}>`).join(", ");
      return new XmlSyntaxError(`the document ends while ${list} ${open.length === 1 ? "is" : "are"} still open (truncated?)`, null, null);
    } catch {
      // fall through to the validator's own words
    }
  }
  return new XmlSyntaxError(err.msg, err.line ?? null, err.col ?? null);
}

/**
 * Parses a well-formed XML document with exactly one root element. The validator runs first
 * because the parser on its own accepts a truncated file, and a truncated report would silently
 * lose results.
 */
export function parseXmlDocument(text: string): XmlElement {
  if (text.trim() === "") throw new XmlSyntaxError("the document is empty", null, null);
  const validation = XMLValidator.validate(text);
  if (validation !== true) throw validationError(validation.err);
  const roots = (parser.parse(text) as RawNode[]).map(toElement).filter((element) => element !== null);
  if (roots.length !== 1) throw new XmlSyntaxError(`expected one root element, found ${roots.length}`, null, null);
  return roots[0];
}

export function describeXmlSyntaxError(error: XmlSyntaxError): string {
  const where = error.line === null ? "" : error.column === null ? ` at line ${error.line}` : ` at line ${error.line}, column ${error.column}`;
  return `${error.message}${where}`;
}

export function childElements(element: XmlElement | undefined, name: string): XmlElement[] {
  return element ? element.children.filter((child) => child.name === name) : [];
}

export function firstChild(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((child) => child.name === name);
}
