"use client";

import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { errorBodySchema } from "@/lib/http/error-body";
import { BOARD_NAME_MAX_LENGTH, boardPath, boardSummarySchema, slugFromName } from "@/lib/messages/boards";
import { BOARD_SLUG_MAX_LENGTH } from "@/lib/messages/schema";
import { FieldError } from "./FieldError";

type Problems = { name?: string; slug?: string; form?: string };

/** Creates a board and opens it. The slug follows the name until it is edited. */
export function NewBoardForm({ defaultBoard }: { defaultBoard: string }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [slug, setSlug] = useState<string | undefined>();
  const [problems, setProblems] = useState<Problems>({});
  const [creating, setCreating] = useState(false);
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
        <Field label="Name" problem={problems.name} value={name} onChange={setName} maxLength={BOARD_NAME_MAX_LENGTH} required />
        <Field
          label={
            <>
              Address <span className="font-normal text-board-muted">/b/…</span>
            </>
          }
          problem={problems.slug}
          value={shownSlug}
          onChange={setSlug}
          maxLength={BOARD_SLUG_MAX_LENGTH}
          mono
        />
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

type FieldProps = {
  label: ReactNode;
  problem: string | undefined;
  value: string;
  onChange(value: string): void;
  maxLength: number;
  required?: boolean;
  mono?: boolean;
};

const FIELD_CLASSES = "rounded-lg border border-slate-300 px-3 py-1.5 focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent";

function Field({ label, problem, value, onChange, maxLength, required, mono }: FieldProps) {
  const ids = { input: useId(), error: useId() };
  return (
    <div className="flex flex-1 flex-col gap-1">
      <label htmlFor={ids.input} className="font-medium">
        {label}
      </label>
      <input
        id={ids.input}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        maxLength={maxLength}
        required={required}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? ids.error : undefined}
        className={mono ? `${FIELD_CLASSES} font-mono` : FIELD_CLASSES}
      />
      <FieldError id={ids.error} message={problem} />
    </div>
  );
}
