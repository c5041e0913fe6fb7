"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { useState, type ReactNode } from "react";

interface ShellProps {
  user: { name: string; email: string; role: string };
  nav: { href: string; label: string }[];
  children: ReactNode;
}

export function AppShell({ user, nav, children }: ShellProps) {
  const pathname = usePathname();
  const [menuOpen, setMenuOpen] = useState(false);
  const [navOpen, setNavOpen] = useState(false);
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-6 px-4">
          <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight">
            <span className="inline-block h-6 w-6 rounded bg-indigo-600" aria-hidden />
            Flowgate
          </Link>
          <button
            className="ml-auto rounded p-2 text-slate-600 md:hidden"
            aria-label="Toggle navigation"
            onClick={() => setNavOpen((open) => !open)}
          >
            ☰
          </button>
          <nav aria-label="Main" className={`${navOpen ? "flex" : "hidden"} absolute left-0 top-14 z-10 w-full flex-col border-b border-slate-200 bg-white p-2 md:static md:flex md:w-auto md:flex-row md:border-0 md:p-0`}>
            {nav.map((item) => {
              const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
              return (
                <Link
                  key={item.href}
                  href={item.href}
                  aria-current={active ? "page" : undefined}
                  className={`rounded-md px-3 py-1.5 text-sm font-medium ${active ? "bg-indigo-50 text-indigo-700" : "text-slate-600 hover:bg-slate-100 hover:text-slate-900"}`}
                >
                  {item.label}
                </Link>
              );
            })}
          </nav>
          <div className="relative md:ml-auto">
            <button
              className="flex items-center gap-2 rounded-md px-2 py-1 text-sm hover:bg-slate-100"
              aria-haspopup="menu"
              aria-expanded={menuOpen}
              onClick={() => setMenuOpen((open) => !open)}
            >
              <span className="flex h-7 w-7 items-center justify-center rounded-full bg-slate-200 text-xs font-semibold uppercase">
                {user.name.slice(0, 2)}
              </span>
              <span className="hidden text-left sm:block">
                <span className="block font-medium leading-tight">{user.name}</span>
                <span className="block text-xs leading-tight text-slate-500" data-testid="user-role">{user.role}</span>
              </span>
            </button>
            {menuOpen && (
              <div role="menu" className="absolute right-0 z-20 mt-2 w-56 rounded-md border border-slate-200 bg-white p-1 shadow-lg">
                <div className="px-3 py-2 text-xs text-slate-500">{user.email}</div>
                <button
                  role="menuitem"
                  className="w-full rounded px-3 py-2 text-left text-sm hover:bg-slate-100"
                  onClick={() => signOut({ callbackUrl: "/signin" })}
                >
                  Sign out
                </button>
              </div>
            )}
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-7xl px-4 py-6">{children}</main>
    </div>
  );
}
