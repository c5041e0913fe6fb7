import { reasonName, reasonTone } from "./reasons";

/** One reason as a small badge: the API's short label ("risk 8 ≥ 7"), the human name on hover. */
export function ReasonBadge({ code, label }: { code: string; label?: string }) {
  return (
    <span title={reasonName(code)} className={`inline-block whitespace-nowrap rounded px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset ${reasonTone(code)}`}>
      {label || reasonName(code)}
    </span>
  );
}
