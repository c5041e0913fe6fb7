"use client";

import { signIn } from "next-auth/react";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";

/** next-auth's error codes on a return to this page, in words (single sign-on refusals among them). */
const returnedErrors: Record<string, string> = {
  AccessDenied: "Your identity provider signed you in, but none of your groups or teams grants a Flowgate role (or your account is disabled). Ask a Flowgate administrator.",
  OAuthSignin: "The identity provider could not be reached. Try again, or ask an administrator to check the single sign-on settings.",
  OAuthCallback: "The identity provider's answer could not be verified. Try again.",
};

export function SignInForm({ external, localPasswords }: { external: { id: string; name: string }[]; localPasswords: boolean }) {
  const router = useRouter();
  const params = useSearchParams();
  const returned = params.get("error");
  const [error, setError] = useState<string | null>(returned ? (returnedErrors[returned] ?? "Sign-in failed. Try again.") : null);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    let ok = false;
    let refusal = "Wrong email or password.";
    try {
      const result = await signIn("credentials", {
        email: String(form.get("email")),
        password: String(form.get("password")),
        redirect: false,
      });
      ok = Boolean(result?.ok && !result.error);
      // Throttled sign-ins say how long to wait; every other refusal is the same sentence.
      if (result?.error?.startsWith("Too many failed sign-ins")) refusal = result.error;
    } catch {
      // next-auth throws on some refusals instead of returning an error; both mean "not signed in".
    }
    setPending(false);
    if (!ok) {
      setError(refusal);
      return;
    }
    const callbackUrl = params.get("callbackUrl");
    router.replace(callbackUrl && callbackUrl.startsWith("/") ? callbackUrl : "/");
    router.refresh();
  }

  const callbackUrl = params.get("callbackUrl");
  const ssoButton =
    external.length > 0 ? (
      <div className="space-y-2">
        {external.map((provider) => (
          <button
            key={provider.id}
            type="button"
            onClick={() => void signIn(provider.id, { callbackUrl: callbackUrl && callbackUrl.startsWith("/") ? callbackUrl : "/" })}
            className="w-full rounded-md border border-slate-300 bg-white py-2 text-sm font-medium text-slate-800 hover:bg-slate-50"
          >
            Sign in with {provider.name}
          </button>
        ))}
      </div>
    ) : null;
  if (!localPasswords) {
    return (
      <div className="space-y-4">
        <h1 className="text-xl font-semibold">Sign in</h1>
        {error && (
          <p role="alert" className="text-sm text-red-700">
            {error}
          </p>
        )}
        {ssoButton ?? <p className="text-sm text-red-700">No way to sign in is configured: set FLOWGATE_OIDC_ISSUER or FLOWGATE_GITHUB_CLIENT_ID, or turn local passwords back on.</p>}
      </div>
    );
  }
  return (
    <form onSubmit={submit} className="space-y-4">
      <h1 className="text-xl font-semibold">Sign in</h1>
      {ssoButton}
      {ssoButton && <p className="text-center text-xs text-slate-500">or with a Flowgate password</p>}
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Email</span>
        <input name="email" type="email" required autoComplete="username" className="w-full rounded-md border border-slate-300 px-3 py-2" />
      </label>
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Password</span>
        <input
          name="password"
          type="password"
          required
          autoComplete="current-password"
          className="w-full rounded-md border border-slate-300 px-3 py-2"
        />
      </label>
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
      <button
        type="submit"
        disabled={pending}
        className="w-full rounded-md bg-indigo-600 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
      >
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
