import { describe, expect, it } from "vitest";
import { knownSecretsOf, redactKnownSecrets } from "@/lib/secrets/redact-known-secrets";
import { cleanUntrustedJson, cleanUntrustedText } from "@/lib/text/untrusted-text";

describe("text from untrusted code, made storable", () => {
  it("shows NUL and other control characters as control pictures, keeps tabs and line breaks", () => {
    expect(cleanUntrustedText("a\u0000b\u0007c\td\ne\u007f")).toBe("a\u2400b\u2407c\td\ne\u2421");
    expect(cleanUntrustedText("progress 10%\rprogress 20%\r\ndone")).toBe("progress 10%\nprogress 20%\ndone");
  });

  it("removes terminal escapes: colours, cursor moves, window titles, hyperlinks", () => {
    expect(cleanUntrustedText("\u001b[31mRED\u001b[0m \u001b[2J\u001b[1;1Hclear")).toBe("RED clear");
    expect(cleanUntrustedText("\u001b]0;pwned title\u0007after")).toBe("after");
    expect(cleanUntrustedText("\u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\")).toBe("link");
    // A lone ESC or an unterminated sequence is shown, not interpreted.
    expect(cleanUntrustedText("a\u001b")).toBe("a\u241b");
    expect(cleanUntrustedText("\u009b31m8-bit CSI")).toBe("\ufffd31m8-bit CSI");
  });

  it("replaces lone UTF-16 surrogates, which PostgreSQL's jsonb refuses, and keeps real pairs", () => {
    expect(cleanUntrustedText("x\ud800y\udc00z")).toBe("x\ufffdy\ufffdz");
    expect(cleanUntrustedText("emoji \ud83d\ude00")).toBe("emoji \ud83d\ude00");
  });

  it("makes invalid UTF-8 from a process visible as U+FFFD once decoded", () => {
    expect(cleanUntrustedText(Buffer.from([0x61, 0xff, 0xfe, 0x00, 0x62]).toString("utf8"))).toBe("a\ufffd\ufffd\u2400b");
  });

  it("cleans every string of a stage result, keys included, and leaves other values alone", () => {
    const cleaned = cleanUntrustedJson({ "na\u0000me": ["ok", "\u0000", 3, null, true], nested: { output: "\u001b[1mbold\u001b[0m" } });
    expect(cleaned).toEqual({ "na\u2400me": ["ok", "\u2400", 3, null, true], nested: { output: "bold" } });
    expect(JSON.stringify(cleaned)).not.toContain("\\u0000");
  });

  it("handles a megabyte of escape-like noise in one pass (no backtracking blow-up)", () => {
    const noise = "\u001b[".repeat(200_000) + "\u001b]" + "x".repeat(400_000);
    const cleaned = cleanUntrustedText(noise);
    expect(cleaned.length).toBeLessThan(noise.length);
    expect(cleaned).not.toContain("\u001b");
  });
});

describe("Flowgate's own secrets, redacted from untrusted output", () => {
  const env = {
    DATABASE_URL: "postgresql://flowgate:p%40ss-word-123456@127.0.0.1:5432/flowgate",
    NEXTAUTH_SECRET: "session-secret-0123456789abcdef0123456789",
    ANTHROPIC_API_KEY: "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
    FLOWGATE_AUDIT_ANCHOR_WEBHOOK: "https://anchor.example/hook?token=anchor-token-1234",
    PATH: "/usr/bin:/bin",
    SHORT_TOKEN: "abc",
  };
  const secrets = knownSecretsOf(env);

  it("finds the database password (as written and decoded), the session secret and keys, not ordinary variables", () => {
    const names = secrets.map((s) => s.value);
    expect(names).toContain("p@ss-word-123456");
    expect(names).toContain("p%40ss-word-123456");
    expect(names).toContain(env.NEXTAUTH_SECRET);
    expect(names).toContain(env.ANTHROPIC_API_KEY);
    expect(names).toContain(env.FLOWGATE_AUDIT_ANCHOR_WEBHOOK);
    expect(names).not.toContain("/usr/bin:/bin");
    expect(names).not.toContain("abc");
  });

  it("replaces every exact occurrence, naming what was there, and API token values by their shape", () => {
    const text = `{"pgPassword":"p@ss-word-123456","authSecret":"${env.NEXTAUTH_SECRET}"} ${env.DATABASE_URL} again ${env.NEXTAUTH_SECRET} fgt_abcdefghijklmnopqrstuvwxyz012345`;
    const redacted = redactKnownSecrets(text, secrets);
    for (const value of [env.NEXTAUTH_SECRET, "p@ss-word-123456", "p%40ss-word-123456", "fgt_abcdefghijklmnopqrstuvwxyz012345"]) expect(redacted).not.toContain(value);
    expect(redacted).toContain("[redacted: NEXTAUTH_SECRET]");
    expect(redacted).toContain("[redacted: the database URL]");
    expect(redacted).toContain("[redacted: a Flowgate API token]");
  });
});
