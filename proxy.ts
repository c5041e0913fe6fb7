import { withAuth } from "next-auth/middleware";

// Pages need a session; which role may open which page is decided on the server by each page
// (lib/auth/page-access, from the one table in lib/auth/roles), so a signed-in user without the
// role sees "not available" rather than being sent back to sign-in. API routes check in route().
export default withAuth({
  pages: { signIn: "/signin" },
  callbacks: { authorized: ({ token }) => Boolean(token?.sub) },
});

export const config = {
  matcher: ["/((?!api|signin|_next/static|_next/image|favicon.ico).*)"],
};
