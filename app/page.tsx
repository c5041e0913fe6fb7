import { redirect } from "next/navigation";
import { requireSignedIn } from "@/lib/auth/page-access";
import { pagesFor } from "@/lib/auth/roles";

export const dynamic = "force-dynamic";

export default async function Home() {
  const user = await requireSignedIn("/");
  redirect(pagesFor(user.role)[0]?.href ?? "/signin");
}
