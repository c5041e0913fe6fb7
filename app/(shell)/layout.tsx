import type { ReactNode } from "react";
import { AppShell } from "@/components/shell/app-shell";
import { requireSignedIn } from "@/lib/auth/page-access";
import { pagesFor } from "@/lib/auth/roles";

export default async function ShellLayout({ children }: { children: ReactNode }) {
  const user = await requireSignedIn("/board");
  const nav = pagesFor(user.role).map(({ href, label }) => ({ href, label }));
  return (
    <AppShell user={{ name: user.name, email: user.email, role: user.role }} nav={nav}>
      {children}
    </AppShell>
  );
}
