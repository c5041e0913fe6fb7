import { describe, expect, it } from "vitest";
import { enclosingDeclarations } from "@/agents/review/engines/logic-edits";

describe("the functions and classes a line of a whole file sits in", () => {
  it("follows Python's indentation, through a signature that spans lines", () => {
    const python = ["import re", "", "class Sandbox:", "    def is_safe_attribute(", "        self, obj, attr", "    ) -> bool:", "        if attr.startswith('_'):", "            return False", "", "        return True", "", "def other():", "    return 1", "x = 2"].join("\n");
    const scopes = enclosingDeclarations(python);
    expect(scopes[0]).toEqual([]);
    expect(scopes[6]).toEqual(["Sandbox", "is_safe_attribute"]);
    expect(scopes[7]).toEqual(["Sandbox", "is_safe_attribute"]);
    expect(scopes[9]).toEqual(["Sandbox", "is_safe_attribute"]);
    expect(scopes[12]).toEqual(["other"]);
    expect(scopes[13]).toEqual([]);
  });

  it("ends a brace language's scope at its closing brace", () => {
    const java = ["public class Guard {", "    public boolean isAllowed(String host) {", "        if (host == null) {", "            return false;", "        } else {", "            return true;", "        }", "    }", "    public int size() {", "        return 1;", "    }", "}"].join("\n");
    const scopes = enclosingDeclarations(java);
    expect(scopes[2]).toEqual(["Guard", "isAllowed"]);
    expect(scopes[5]).toEqual(["Guard", "isAllowed"]);
    expect(scopes[7]).toEqual(["Guard", "isAllowed"]);
    expect(scopes[9]).toEqual(["Guard", "size"]);
    expect(scopes[11]).toEqual(["Guard"]);
  });

  it("names Go methods by their name, not their receiver", () => {
    const go = ["package auth", "", "func (s *Server) checkToken(t string) error {", "\tif t == \"\" {", "\t\treturn errEmpty", "\t}", "\treturn nil", "}", "", "func main() {}"].join("\n");
    const scopes = enclosingDeclarations(go);
    expect(scopes[4]).toEqual(["checkToken"]);
    expect(scopes[6]).toEqual(["checkToken"]);
    expect(scopes[9]).toEqual([]);
  });
});
