import { ReasonBadge } from "@/components/inbox/reason-badge";
import { reasonName } from "@/components/inbox/reasons";
import { Section, card } from "./section";
import type { ContextPackageView } from "./types";

/** Why it is here: each rule that fired, with the value it saw and the policy's threshold. */
export function ReasonsSection({ pkg }: { pkg: ContextPackageView }) {
  return (
    <Section id="why" title="Why it is here">
      <ul className={`${card} divide-y divide-slate-100 p-0`} data-testid="escalation-reasons">
        {pkg.reasons.map((reason) => (
          <li key={reason.code} className="flex flex-wrap items-start gap-x-3 gap-y-1 px-4 py-3 text-sm">
            <span className="w-44 shrink-0 font-medium text-slate-900">{reasonName(reason.code)}</span>
            <div className="min-w-0 flex-1">
              <p className="text-slate-800">{reason.detail}</p>
              {(reason.value !== undefined || reason.threshold !== undefined) && (
                <p className="mt-1 text-xs text-slate-500">
                  {reason.value !== undefined && (
                    <>
                      value <b className="text-slate-800">{reason.value}</b>
                    </>
                  )}
                  {reason.value !== undefined && reason.threshold !== undefined && " · "}
                  {reason.threshold !== undefined && (
                    <>
                      threshold <b className="text-slate-800">{reason.threshold}</b>
                    </>
                  )}
                </p>
              )}
            </div>
            <ReasonBadge code={reason.code} label={reason.label} />
          </li>
        ))}
      </ul>
    </Section>
  );
}
