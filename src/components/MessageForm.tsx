"use client";

import { useEffect, useId, useState, type FormEvent, type KeyboardEvent } from "react";
import { errorBodySchema } from "@/lib/http/api-error";
import { AUTHOR_MAX_LENGTH, TEXT_MAX_LENGTH } from "@/lib/messages/schema";

const AUTHOR_STORAGE_KEY = "message-board:author";

type Problems = { text?: string; author?: string; form?: string };

export function MessageForm() {
  const [author, setAuthor] = useState("");
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [problems, setProblems] = useState<Problems>({});
  const ids = { author: useId(), text: useId(), count: useId(), textError: useId(), authorError: useId() };

  useEffect(() => setAuthor(localStorage.getItem(AUTHOR_STORAGE_KEY) ?? ""), []);

  const length = [...text.trim()].length;
  const tooLong = length > TEXT_MAX_LENGTH;

  async function send() {
    if (sending || length === 0 || tooLong) return;
    setSending(true);
    setProblems({});
    const name = author.trim();
    localStorage.setItem(AUTHOR_STORAGE_KEY, name);
    try {
      const response = await fetch("/api/messages", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(name ? { text, author: name } : { text }),
      });
      if (response.ok) setText("");
      else setProblems(await problemsFrom(response));
    } catch {
      setProblems({ form: "Could not reach the server. Check your connection and try again." });
    } finally {
      setSending(false);
    }
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void send();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    // Enter sends, Shift+Enter starts a new line; Enter that confirms an IME composition does neither.
    if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    void send();
  }

  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-3 rounded-2xl border border-slate-200 bg-white p-4 shadow-sm" noValidate>
      <div className="flex flex-col gap-1">
        <label htmlFor={ids.author} className="text-sm font-medium">
          Your name <span className="font-normal text-board-muted">(optional)</span>
        </label>
        <input
          id={ids.author}
          name="author"
          value={author}
          onChange={(event) => setAuthor(event.target.value)}
          maxLength={AUTHOR_MAX_LENGTH}
          autoComplete="nickname"
          placeholder="Anonymous"
          aria-invalid={problems.author ? true : undefined}
          aria-describedby={problems.author ? ids.authorError : undefined}
          className="rounded-lg border border-slate-300 px-3 py-2 focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent"
        />
        <FieldError id={ids.authorError} message={problems.author} />
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={ids.text} className="text-sm font-medium">
          Message
        </label>
        <textarea
          id={ids.text}
          name="text"
          value={text}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={onKeyDown}
          rows={3}
          placeholder="Write something… (Enter sends, Shift+Enter for a new line)"
          aria-invalid={problems.text || tooLong ? true : undefined}
          aria-describedby={`${ids.count}${problems.text ? ` ${ids.textError}` : ""}`}
          className="resize-y rounded-lg border border-slate-300 px-3 py-2 focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent"
        />
        <FieldError id={ids.textError} message={problems.text} />
      </div>
      <div className="flex items-center justify-between gap-3">
        <span id={ids.count} className={`text-xs ${tooLong ? "font-semibold text-board-down" : "text-board-muted"}`}>
          {length} / {TEXT_MAX_LENGTH} characters
        </span>
        <button
          type="submit"
          disabled={sending || length === 0 || tooLong}
          className="rounded-lg bg-board-accent px-4 py-2 font-semibold text-white transition hover:bg-indigo-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-50"
        >
          {sending ? "Posting…" : "Post"}
        </button>
      </div>
      {problems.form && (
        <p role="alert" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-board-down">
          {problems.form}
        </p>
      )}
    </form>
  );
}

function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <p id={id} role="alert" className="text-sm text-board-down">
      {message}
    </p>
  );
}

async function problemsFrom(response: Response): Promise<Problems> {
  const body = errorBodySchema.safeParse(await response.json().catch(() => undefined));
  if (!body.success) return { form: `The server answered ${response.status}. Try again.` };
  const { message, fields } = body.data.error;
  if (fields?.text || fields?.author) return { text: fields.text, author: fields.author };
  return { form: message };
}
