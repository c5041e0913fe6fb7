"use client";

import { useEffect, useState } from "react";
import { contextPackageToMarkdown } from "./package-markdown";
import type { EscalationDetail } from "./types";

/**
 * The Clipboard API needs a secure context and focus; a plain http deployment on a LAN has
 * neither, so fall back to the old select-and-copy on a hidden textarea.
 */
async function copyText(text: string): Promise<void> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
  } catch {
    // Refused (permissions, focus): try the fallback below.
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  area.style.pointerEvents = "none";
  document.body.appendChild(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error("the browser refused to copy");
}

function CopyButton({ label, text }: { label: string; text: () => string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 2000);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <button
      type="button"
      onClick={() => copyText(text()).then(() => setState("copied"), () => setState("failed"))}
      className="rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50"
    >
      <span aria-live="polite">{state === "copied" ? "Copied ✓" : state === "failed" ? "Copy failed" : label}</span>
    </button>
  );
}

export function CopyButtons({ escalation }: { escalation: EscalationDetail }) {
  return (
    <div className="flex gap-2">
      <CopyButton label="Copy as Markdown" text={() => contextPackageToMarkdown(escalation)} />
      <CopyButton label="Copy as JSON" text={() => JSON.stringify(escalation.contextPackage, null, 2)} />
    </div>
  );
}
