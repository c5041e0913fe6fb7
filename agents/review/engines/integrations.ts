/** New outbound integrations: HTTP clients, service clients and SDK imports the file did not use before. */
import type { RuleFinding } from "../../../lib/review/review-output";
import { codeLines, type FileView } from "../file-view";
import { finding } from "../finding";

/** Outbound HTTP clients. `key` names the client when the call has no literal URL. */
const CLIENT_CALLS: { key: string; pattern: RegExp }[] = [
  { key: "fetch", pattern: /\bfetch\s*\(\s*["'`]https?:\/\// },
  { key: "axios", pattern: /\baxios(?:\.\w+)?\s*\(/ },
  { key: "got", pattern: /(?<![.\w$])got(?:\.(?:get|post|put|patch|delete|stream))?\s*\(/ },
  { key: "requests", pattern: /\brequests\.(?:get|post|put|patch|delete|head|request|Session)\s*\(/ },
  { key: "httpx", pattern: /\bhttpx\.(?:get|post|put|patch|delete|request|Client|AsyncClient)\s*\(/ },
  { key: "http.request", pattern: /\bhttps?\.(?:request|get)\s*\(/ },
];
const NEW_CLIENT = /\bnew\s+([A-Z][\w$]*Client)\s*\(/;
/** "Clients" that talk to nothing outside the process: TanStack Query's cache. */
const IN_PROCESS_CLIENTS = new Set(["QueryClient"]);

/** SDKs of external services: importing one is a new dependency on someone else's uptime and data handling. */
const SERVICE_SDKS = [
  "stripe",
  "twilio",
  "@aws-sdk",
  "aws-sdk",
  "boto3",
  "@google-cloud",
  "googleapis",
  "openai",
  "@anthropic-ai",
  "anthropic",
  "@sendgrid",
  "sendgrid",
  "@slack",
  "slack_sdk",
  "redis",
  "ioredis",
  "kafkajs",
  "kafka",
  "amqplib",
  "pika",
  "nodemailer",
  "mailgun",
  "firebase-admin",
  "@azure",
  "azure",
  "@octokit",
  // Telemetry, analytics and error reporting: they send what the process sees to someone else.
  "@opentelemetry",
  "opentelemetry",
  "go.opentelemetry.io/otel/exporters",
  "@sentry",
  "sentry_sdk",
  "github.com/getsentry/sentry-go",
  "dd-trace",
  "ddtrace",
  "newrelic",
  "@segment",
  "analytics-node",
  "mixpanel",
  "posthog",
  "posthog-node",
  "@amplitude",
  "@bugsnag",
  "rollbar",
  "@launchdarkly",
  "update-notifier",
  // Go and Java SDKs of the services above, by module path.
  "github.com/stripe/stripe-go",
  "github.com/aws/aws-sdk-go",
  "github.com/aws/aws-sdk-go-v2",
  "cloud.google.com/go",
  "github.com/slack-go/slack",
  "com.stripe",
  "com.amazonaws",
  "software.amazon.awssdk",
  "com.google.cloud",
  "com.twilio",
  "io.sentry",
];
const IMPORT_SOURCE = /(?:\bfrom\s+["']?|\bimport\s+["']?|\brequire\s*\(\s*["'])(@?[\w.-]+)/g;

/** Hosts that are not someone else's service: loopback, reserved example names, XML namespaces. */
const NON_SERVICE_HOST = /^(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|(?:.*\.)?example\.(?:com|org|net)|.*\.(?:test|local|localhost|invalid|example)|www\.w3\.org|schema\.org|json-schema\.org)$/i;

/** Hosts of http(s) URLs, without any user:password@ part (which must never reach a message). */
function urlHosts(content: string): string[] {
  const hosts: string[] = [];
  for (const m of content.matchAll(/https?:\/\/(?:[^@/\s"'`]+@)?([A-Za-z0-9][A-Za-z0-9.-]*)/g)) {
    const host = m[1].replace(/\.$/, "").toLowerCase();
    if (!NON_SERVICE_HOST.test(host)) hosts.push(host);
  }
  return hosts;
}

/** A bare import path on its own line, as inside a Go `import ( ... )` block. */
const GO_IMPORT_LINE = /^\s*(?:[\w.]+\s+)?"([\w.-]+(?:\/[\w.@-]+)+)"\s*$/;
const JAVA_IMPORT = /^\s*import\s+(?:static\s+)?([\w.]+)/;

/** The SDKs an import names: the package itself, or a module path or dotted name under it. */
function sdkImports(content: string): string[] {
  const sources = [...content.matchAll(IMPORT_SOURCE)].map((m) => m[1]);
  const goPath = GO_IMPORT_LINE.exec(content)?.[1];
  if (goPath) sources.push(goPath);
  const javaName = JAVA_IMPORT.exec(content)?.[1];
  if (javaName) sources.push(javaName);
  const packages: string[] = [];
  for (const source of sources) {
    const sdk = SERVICE_SDKS.find((name) => source === name || source.startsWith(`${name}/`) || source.startsWith(`${name}.`));
    if (sdk) packages.push(sdk);
  }
  return packages;
}

/** Names that hold a service's address: API_URL, baseUri, endpoint, webhook_host... */
const ENDPOINT_NAME = /url|uri|endpoint|host|api|webhook|base|server/i;

/**
 * Whether the line assigns a literal http(s) URL to an endpoint-like name (`API_URL = "https://`,
 * `endpoint: 'https://`). The name is read backwards from the operator, one bounded step per
 * character, so no pattern spans an identifier of unbounded length.
 */
function assignsEndpoint(content: string): boolean {
  for (const m of content.matchAll(/(?::=|=|:)\s*["'`]https?:\/\//g)) {
    let end = m.index;
    while (end > 0 && /[\s"'\]]/.test(content[end - 1])) end--;
    let start = end;
    while (start > 0 && start > end - 64 && /[\w$.-]/.test(content[start - 1])) start--;
    if (ENDPOINT_NAME.test(content.slice(start, end))) return true;
  }
  return false;
}

/** The integrations one added line introduces: keys to check for novelty, with their message. */
function integrationsOnLine(content: string): { key: string; rule: string; message: string }[] {
  const found: { key: string; rule: string; message: string }[] = [];
  const client = CLIENT_CALLS.find((c) => c.pattern.test(content));
  const hosts = urlHosts(content);
  // A URL is an integration when something calls it or names it as an endpoint; a URL in a
  // licence header, a docs link or a markup link is not.
  if (client || assignsEndpoint(content)) {
    for (const host of hosts) {
      const via = client ? ` via ${client.key}` : "";
      found.push({ key: host, rule: "integration.new-host", message: `New outbound endpoint host ${host}${via}.` });
    }
  }
  // A call to a loopback or example URL is not a new service, so the client alone only counts when
  // the line names no URL at all (a URL held in a variable).
  if (client && !/https?:\/\//.test(content)) found.push({ key: client.key, rule: "integration.http-client", message: `New outbound HTTP call (${client.key}).` });
  const newClient = NEW_CLIENT.exec(content);
  if (newClient && !IN_PROCESS_CLIENTS.has(newClient[1])) found.push({ key: newClient[1], rule: "integration.new-client", message: `New service client ${newClient[1]}.` });
  for (const sdk of sdkImports(content)) found.push({ key: sdk, rule: "integration.sdk-import", message: `New SDK import for ${sdk}.` });
  return found;
}

export function detectNewIntegrations(view: FileView): RuleFinding[] {
  // Tests and docs name hosts and clients without calling them in production.
  if (view.isTest || view.isDoc) return [];
  // What the file already used, as far as the diff shows: deleted and context lines.
  const known = view.file.hunks.flatMap((h) => h.lines.filter((l) => l.kind !== "add").map((l) => l.content.toLowerCase()));
  const reported = new Set<string>();
  const findings: RuleFinding[] = [];
  for (const { line, content } of codeLines(view.added)) {
    for (const { key, rule, message } of integrationsOnLine(content)) {
      const needle = key.toLowerCase();
      if (reported.has(needle) || known.some((text) => text.includes(needle))) continue;
      reported.add(needle);
      findings.push(finding("new_integration", rule, "medium", view.path, line, message));
    }
  }
  return findings;
}

