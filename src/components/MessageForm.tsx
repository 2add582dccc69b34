"use client";

import { useEffect, useId, useState, type FormEvent, type KeyboardEvent } from "react";
import { AUTHOR_MAX_LENGTH, TEXT_MAX_LENGTH } from "@/lib/messages/schema";
import { FieldError } from "./FieldError";
import type { Problems } from "./post-message";

const AUTHOR_STORAGE_KEY = "message-board:author";

type Props = {
  /** Posts the message; resolves to what is wrong with it if the server refused it as it stands. */
  onSend(text: string, author: string | undefined): Promise<Problems | undefined>;
  /** The signed-in reader's name: their posts carry it, and no other. */
  signedInAs?: string;
};

export function MessageForm({ onSend, signedInAs }: Props) {
  const [author, setAuthor] = useState("");
  const [text, setText] = useState("");
  const [problems, setProblems] = useState<Problems>({});
  const ids = { author: useId(), text: useId(), count: useId(), textError: useId(), authorError: useId() };

  // The saved name lives only in the browser: read it after hydration, so that the page matches the server's.
  // eslint-disable-next-line react-hooks/set-state-in-effect
  useEffect(() => setAuthor(localStorage.getItem(AUTHOR_STORAGE_KEY) ?? ""), []);

  const length = [...text.trim()].length;
  const tooLong = length > TEXT_MAX_LENGTH;

  async function send() {
    if (length === 0 || tooLong) return;
    setProblems({});
    const name = signedInAs ? "" : author.trim();
    if (!signedInAs) localStorage.setItem(AUTHOR_STORAGE_KEY, name);
    // The message shows in the list at once; the field is free for the next one.
    setText("");
    const refused = await onSend(text, name || undefined);
    if (!refused) return;
    setProblems(refused);
    setText((current) => current || text);
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
      {signedInAs ? (
        <p className="text-sm">
          Posting as <span className="font-semibold">{signedInAs}</span> <span className="text-board-accent">✓</span>
        </p>
      ) : (
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
      )}
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
          disabled={length === 0 || tooLong}
          className="rounded-lg bg-board-accent px-4 py-2 font-semibold text-white transition hover:bg-indigo-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-50"
        >
          Post
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
