"use client";

import { useId, useState } from "react";
import { errorBodySchema } from "@/lib/http/error-body";
import { TEXT_MAX_LENGTH, type Message } from "@/lib/messages/schema";

type Props = { message: Pick<Message, "id" | "text" | "board" | "account">; canEdit: boolean; canDelete: boolean; canBan: boolean; canPromote: boolean };

/**
 * Edit and delete, for those allowed to: requests to the API, whose changes reach this list (and every
 * other window) over the board's stream. Deleting asks once more; the edit form keeps the text until saved.
 */
export function MessageActions({ message, canEdit, canDelete, canBan, canPromote }: Props) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [draft, setDraft] = useState(message.text);
  const [problem, setProblem] = useState<string>();
  const [done, setDone] = useState<string>();
  const ids = { text: useId(), problem: useId() };
  if (!canEdit && !canDelete && !canBan && !canPromote) return null;

  /** One request of the API; `said` is what to tell the reader once it is done. */
  const request = async (method: string, path: string, body?: unknown, said?: string) => {
    setBusy(true);
    setProblem(undefined);
    setDone(undefined);
    const response = await fetch(path, {
      method,
      ...(body !== undefined && { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
    }).catch(() => null);
    setBusy(false);
    setConfirming(false);
    if (response?.ok) {
      setDone(said);
      return setEditing(false);
    }
    const refusal = errorBodySchema.safeParse(await response?.json().catch(() => undefined));
    setProblem(refusal.success ? refusal.data.error.message : "Could not reach the server; try again.");
  };

  const button =
    "rounded px-2 py-0.5 text-xs font-medium underline-offset-2 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent";
  return (
    <div className="mt-2 flex flex-col gap-2">
      {editing ? (
        <form
          className="flex flex-col gap-2"
          onSubmit={(event) => {
            event.preventDefault();
            void request("PATCH", `/api/messages/${message.id}`, { text: draft });
          }}
        >
          <label htmlFor={ids.text} className="sr-only">
            Edit the message
          </label>
          <textarea
            id={ids.text}
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            maxLength={TEXT_MAX_LENGTH}
            rows={3}
            aria-describedby={problem ? ids.problem : undefined}
            className="resize-y rounded-lg border border-slate-300 px-3 py-2 focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent"
          />
          <div className="flex gap-2">
            <button type="submit" disabled={busy} className={`${button} bg-board-accent text-white`}>
              Save
            </button>
            <button type="button" onClick={() => setEditing(false)} className={`${button} text-board-muted`}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="flex gap-2" role="group" aria-label="Message actions">
          {canEdit && (
            <button
              type="button"
              onClick={() => {
                setDraft(message.text);
                setEditing(true);
              }}
              className={`${button} text-board-accent`}
            >
              Edit
            </button>
          )}
          {canDelete && !confirming && (
            <button type="button" onClick={() => setConfirming(true)} className={`${button} text-board-down`}>
              Delete
            </button>
          )}
          {canBan && (
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                void request("POST", `/api/boards/${message.board}/bans`, { message: message.id, minutes: 1440 }, "Its author may not post here for a day.")
              }
              className={`${button} text-board-down`}
            >
              Ban author for a day
            </button>
          )}
          {canPromote && message.account && (
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                void request(
                  "PUT",
                  `/api/boards/${message.board}/moderators/${encodeURIComponent(message.account!.id)}`,
                  undefined,
                  `${message.account!.name} is now a moderator of this board.`,
                )
              }
              className={`${button} text-board-accent`}
            >
              Make moderator
            </button>
          )}
          {confirming && (
            <>
              <button
                type="button"
                autoFocus
                disabled={busy}
                onClick={() => void request("DELETE", `/api/messages/${message.id}`)}
                className={`${button} bg-red-700 text-white`}
              >
                Delete for everyone
              </button>
              <button type="button" onClick={() => setConfirming(false)} className={`${button} text-board-muted`}>
                Keep it
              </button>
            </>
          )}
        </div>
      )}
      {done && (
        <p role="status" className="text-xs text-board-muted">
          {done}
        </p>
      )}
      {problem && (
        <p id={ids.problem} role="alert" className="text-xs text-board-down">
          {problem}
        </p>
      )}
    </div>
  );
}
