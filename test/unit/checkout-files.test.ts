import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CheckoutPathError, checkoutFileExists, findCheckoutFiles, readCheckoutFile, removeCheckoutFile, writeNewCheckoutFile } from "@/agents/sandbox/checkout-files";

/** After pull-request code ran, its checkout may be full of links pointing at the runner's secrets. */
describe("reading and writing a checkout the pull request's code had its hands on", () => {
  let root: string;
  let checkout: string;
  let secret: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-checkout-files-"));
    checkout = path.join(root, "checkout");
    fs.mkdirSync(path.join(checkout, "coverage"), { recursive: true });
    secret = path.join(root, "secrets.json");
    fs.writeFileSync(secret, '{"authSecret":"do-not-read"}');
    fs.writeFileSync(path.join(checkout, "test-results.xml"), "<testsuites/>");
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("reads a regular file, capped, and says when a file does not exist", () => {
    expect(readCheckoutFile(checkout, "test-results.xml", 1024)).toEqual({ text: "<testsuites/>", truncated: false });
    expect(readCheckoutFile(checkout, "test-results.xml", 5)).toEqual({ text: "<test", truncated: true });
    expect(readCheckoutFile(checkout, "missing.xml", 1024)).toBeNull();
  });

  it("refuses a report that is a link to a file outside, or a path through a linked directory", () => {
    fs.symlinkSync(secret, path.join(checkout, "coverage", "lcov.info"));
    expect(() => readCheckoutFile(checkout, "coverage/lcov.info", 1024)).toThrow(CheckoutPathError);
    fs.symlinkSync(root, path.join(checkout, "up"));
    expect(() => readCheckoutFile(checkout, "up/secrets.json", 1024)).toThrow(/outside the checkout/);
    expect(() => readCheckoutFile(checkout, "../secrets.json", 1024)).toThrow(/outside the checkout/);
    // A link that stays inside is still a link: the last component is never followed.
    fs.symlinkSync(path.join(checkout, "test-results.xml"), path.join(checkout, "inside-link.xml"));
    expect(() => readCheckoutFile(checkout, "inside-link.xml", 1024)).toThrow(/symbolic link/);
  });

  it("never writes through a link: a generated test cannot land outside the checkout", () => {
    fs.symlinkSync(root, path.join(checkout, "test"));
    expect(() => writeNewCheckoutFile(checkout, "test/generated/a.test.js", "x")).toThrow(CheckoutPathError);
    expect(fs.existsSync(path.join(root, "generated"))).toBe(false);
    fs.symlinkSync(secret, path.join(checkout, "planted.test.js"));
    expect(() => writeNewCheckoutFile(checkout, "planted.test.js", "x")).toThrow(/EEXIST/);
    expect(fs.readFileSync(secret, "utf8")).toContain("do-not-read");
    writeNewCheckoutFile(checkout, "tests/generated/b.test.js", "ok\n");
    expect(fs.readFileSync(path.join(checkout, "tests", "generated", "b.test.js"), "utf8")).toBe("ok\n");
  });

  it("removes a link, not what it points to, and lists only regular files", () => {
    fs.symlinkSync(secret, path.join(checkout, "coverage", "lcov.info"));
    expect(checkoutFileExists(checkout, "coverage/lcov.info")).toBe(true);
    removeCheckoutFile(checkout, "coverage/lcov.info");
    expect(fs.existsSync(secret)).toBe(true);
    expect(checkoutFileExists(checkout, "coverage/lcov.info")).toBe(false);
    fs.symlinkSync(secret, path.join(checkout, "linked.test.js"));
    fs.writeFileSync(path.join(checkout, "real.test.js"), "");
    expect(findCheckoutFiles(checkout, (rel) => rel.endsWith(".test.js"), 10)).toEqual(["real.test.js"]);
  });
});
