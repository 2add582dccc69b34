import "server-only";
import { PageHeader } from "@/components/PageHeader";
import { headers } from "next/headers";
import { AccountPanel } from "@/components/AccountPanel";
import { pageContext } from "@/server/page-context";

export const dynamic = "force-dynamic";
export const metadata = { title: "Account · Message board" };

/** Sign up, sign in and out: the accounts library's routes, from the board's own page. */
export default async function AccountPage() {
  const { viewer, accounts } = pageContext();
  const signedIn = await viewer((await headers()).get("cookie"));
  return (
    <main className="mx-auto flex w-full max-w-md flex-col gap-6 px-4 py-8 sm:py-12">
      <PageHeader title="Account" />
      {accounts.enabled ? (
        <AccountPanel viewer={signedIn} oidc={accounts.oidc} />
      ) : (
        <p className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-board-warn">
          Accounts are off on this board (they need PostgreSQL and AUTH_SECRET): everyone posts as a guest.
        </p>
      )}
    </main>
  );
}
