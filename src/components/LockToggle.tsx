"use client";

import { useState } from "react";
import { errorBodySchema } from "@/lib/http/error-body";

/** For the board's owner and moderators: lock the board (only they may post) or open it again. */
export function LockToggle({ board, locked, onChange }: { board: string; locked: boolean; onChange(locked: boolean): void }) {
  const [problem, setProblem] = useState<string>();
  const toggle = async () => {
    const response = await fetch(`/api/boards/${board}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ locked: !locked }),
    }).catch(() => null);
    if (response?.ok) return onChange(!locked);
    const refusal = errorBodySchema.safeParse(await response?.json().catch(() => undefined));
    setProblem(refusal.success ? refusal.data.error.message : "Could not reach the server; try again.");
  };
  return (
    <div className="flex items-center gap-3 text-sm">
      <button
        type="button"
        onClick={() => void toggle()}
        className="rounded-lg border border-slate-300 px-3 py-1 font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent"
      >
        {locked ? "Unlock the board" : "Lock the board"}
      </button>
      {problem && (
        <span role="alert" className="text-board-down">
          {problem}
        </span>
      )}
    </div>
  );
}
