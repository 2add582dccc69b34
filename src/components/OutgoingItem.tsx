import type { Outgoing } from "./useOutbox";

const STATUS: Record<Outgoing["status"], string> = {
  sending: "Sending…",
  accepted: "Sent, waiting for the board…",
  failed: "Not sent",
};

/** A message of this window's on its way: shown at once, replaced by the stored message when it arrives. */
export function OutgoingItem({ item, onRetry }: { item: Outgoing; onRetry(id: string): void }) {
  const failed = item.status === "failed";
  return (
    <li
      className={`rounded-xl border border-dashed p-4 ${failed ? "border-red-300 bg-red-50" : "border-slate-300 bg-white/60"}`}
      data-outgoing={item.status}
      aria-busy={!failed}
    >
      <div className="mb-1 flex items-baseline justify-between gap-3">
        <span className="truncate font-semibold">{item.author ?? "You"}</span>
        <span className={`shrink-0 text-xs ${failed ? "font-semibold text-board-down" : "text-board-muted"}`}>{STATUS[item.status]}</span>
      </div>
      <p className="break-words whitespace-pre-wrap text-slate-500">{item.text.trim()}</p>
      {failed && (
        <div role="alert" className="mt-2 flex items-center justify-between gap-3 text-sm text-board-down">
          <span>{item.problem ?? "The message was not posted."}</span>
          <button type="button" onClick={() => onRetry(item.id)} className="shrink-0 font-semibold underline">
            Retry
          </button>
        </div>
      )}
    </li>
  );
}
