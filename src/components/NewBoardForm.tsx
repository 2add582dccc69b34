"use client";

import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { errorBodySchema } from "@/lib/http/error-body";
import { BOARD_NAME_MAX_LENGTH, boardPath, boardSummarySchema, slugFromName } from "@/lib/messages/boards";
import { BOARD_SLUG_MAX_LENGTH } from "@/lib/messages/schema";

type Problems = { name?: string; slug?: string; form?: string };

/** Creates a board and opens it. The slug follows the name until it is edited. */
export function NewBoardForm({ defaultBoard }: { defaultBoard: string }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [slug, setSlug] = useState<string | undefined>();
  const [problems, setProblems] = useState<Problems>({});
  const [creating, setCreating] = useState(false);
  const ids = { name: useId(), slug: useId(), nameError: useId(), slugError: useId() };
  const shownSlug = slug ?? slugFromName(name);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void create();
  }

  async function create() {
    setCreating(true);
    setProblems({});
    try {
      const response = await fetch("/api/boards", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name, ...(shownSlug && { slug: shownSlug }) }),
      });
      const body: unknown = await response.json().catch(() => undefined);
      if (response.ok) {
        const created = boardSummarySchema.safeParse((body as { board?: unknown } | undefined)?.board);
        router.push(boardPath(created.success ? created.data.slug : shownSlug, defaultBoard));
        return;
      }
      const error = errorBodySchema.safeParse(body);
      const fields = error.success ? error.data.error.fields : undefined;
      const said = error.success ? error.data.error.message : `The server answered ${response.status}. Try again.`;
      setProblems(fields?.name || fields?.slug ? { name: fields.name, slug: fields.slug } : { form: said });
    } catch {
      setProblems({ form: "Could not reach the server. Check your connection and try again." });
    } finally {
      setCreating(false);
    }
  }

  return (
    <details className="text-sm">
      <summary className="cursor-pointer font-medium text-board-accent select-none">New board</summary>
      <form onSubmit={onSubmit} noValidate className="mt-2 flex flex-col gap-2 rounded-xl border border-slate-200 bg-white p-3 sm:flex-row sm:items-start">
        <div className="flex flex-1 flex-col gap-1">
          <label htmlFor={ids.name} className="font-medium">
            Name
          </label>
          <input
            id={ids.name}
            value={name}
            onChange={(event) => setName(event.target.value)}
            maxLength={BOARD_NAME_MAX_LENGTH}
            required
            aria-invalid={problems.name ? true : undefined}
            aria-describedby={problems.name ? ids.nameError : undefined}
            className="rounded-lg border border-slate-300 px-3 py-1.5 focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent"
          />
          {problems.name && (
            <p id={ids.nameError} role="alert" className="text-board-down">
              {problems.name}
            </p>
          )}
        </div>
        <div className="flex flex-1 flex-col gap-1">
          <label htmlFor={ids.slug} className="font-medium">
            Address <span className="font-normal text-board-muted">/b/…</span>
          </label>
          <input
            id={ids.slug}
            value={shownSlug}
            onChange={(event) => setSlug(event.target.value)}
            maxLength={BOARD_SLUG_MAX_LENGTH}
            aria-invalid={problems.slug ? true : undefined}
            aria-describedby={problems.slug ? ids.slugError : undefined}
            className="rounded-lg border border-slate-300 px-3 py-1.5 font-mono focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent"
          />
          {problems.slug && (
            <p id={ids.slugError} role="alert" className="text-board-down">
              {problems.slug}
            </p>
          )}
        </div>
        <button
          type="submit"
          disabled={creating || !name.trim()}
          className="rounded-lg bg-board-accent px-4 py-1.5 font-semibold text-white hover:bg-indigo-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-50 sm:mt-6"
        >
          Create
        </button>
        {problems.form && (
          <p role="alert" className="text-board-down sm:basis-full">
            {problems.form}
          </p>
        )}
      </form>
    </details>
  );
}
