import { MessageBoard } from "@/components/MessageBoard";
import { readStoredHistory } from "@/lib/http/messages-api";
import type { History } from "@/lib/messages/schema";
import { services } from "@/lib/web/services";

export const dynamic = "force-dynamic";

export default async function BoardPage() {
  // Without Redis the page still renders: the board says what is wrong and keeps trying to connect.
  const history: History | null = await readStoredHistory().catch(() => null);
  return (
    <main className="mx-auto flex w-full max-w-2xl flex-col gap-6 px-4 py-8 sm:py-12">
      <MessageBoard initialHistory={history} historyLimit={services().config.MESSAGES_LIMIT} />
    </main>
  );
}
