import { Suspense } from "react";
import { SignInForm } from "@/components/shell/sign-in-form";
import { githubSignInConfigOf } from "@/lib/auth/github-sign-in";
import { ssoConfigOf } from "@/lib/auth/sso";
import { env } from "@/lib/env";

export default function SignInPage() {
  const sso = ssoConfigOf(env());
  const github = githubSignInConfigOf(env(), env().FLOWGATE_SSO_DEFAULT_ROLE);
  const external = [...(sso ? [{ id: "oidc", name: sso.name }] : []), ...(github ? [{ id: "github", name: "GitHub" }] : [])];
  return (
    <div className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
        <div className="mb-6 flex items-center gap-2 text-lg font-semibold">
          <span className="inline-block h-6 w-6 rounded bg-indigo-600" aria-hidden />
          Flowgate
        </div>
        <Suspense>
          <SignInForm external={external} localPasswords={env().FLOWGATE_LOCAL_PASSWORDS === "on"} />
        </Suspense>
      </div>
    </div>
  );
}
