"use client";

import { useId, useState, type FormEvent } from "react";
import { z } from "zod";
import type { PageViewer } from "@/lib/accounts/page-viewer";
import { AUTHOR_MAX_LENGTH } from "@/lib/messages/schema";

type Props = { viewer: PageViewer; oidc: string | undefined };

const authErrorSchema = z.object({ message: z.string() });

/** Calls one of the accounts library's routes; resolves to what went wrong, if anything did. */
async function call(path: string, body: unknown = {}): Promise<{ ok: true; body: unknown } | { ok: false; problem: string }> {
  const response = await fetch(`/api/auth/${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }).catch(
    () => null,
  );
  if (!response) return { ok: false, problem: "Could not reach the server; try again." };
  const answer: unknown = await response.json().catch(() => undefined);
  if (response.ok) return { ok: true, body: answer };
  return { ok: false, problem: authErrorSchema.safeParse(answer).data?.message ?? `The server answered ${response.status}; try again.` };
}

const redirectSchema = z.object({ url: z.url() });

/** Sign in or create an account (e-mail and password, or the configured provider); signed in: sign out here or everywhere. */
export function AccountPanel({ viewer, oidc }: Props) {
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const problemId = useId();
  const run = async (path: string, body?: unknown) => {
    setBusy(true);
    setProblem(undefined);
    const result = await call(path, body);
    setBusy(false);
    if (!result.ok) return setProblem(result.problem);
    const redirect = redirectSchema.safeParse(result.body);
    window.location.assign(redirect.success ? redirect.data.url : "/");
  };
  const alert = problem && (
    <p id={problemId} role="alert" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-board-down">
      {problem}
    </p>
  );

  if (viewer) {
    return (
      <section aria-label="Signed in" className="flex flex-col gap-4 rounded-2xl border border-slate-200 bg-white p-4 shadow-sm">
        <p>
          Signed in as <span className="font-semibold">{viewer.name}</span>
          {viewer.admin && <span className="text-board-muted"> (administrator)</span>}. Your posts carry your name and a ✓.
        </p>
        <div className="flex flex-wrap gap-3">
          <button type="button" disabled={busy} onClick={() => void run("sign-out")} className={BUTTON}>
            Sign out
          </button>
          <button type="button" disabled={busy} onClick={() => void call("revoke-sessions").then(() => run("sign-out"))} className={SECONDARY}>
            Sign out everywhere
          </button>
        </div>
        {alert}
      </section>
    );
  }
  return (
    <div className="flex flex-col gap-6">
      {alert}
      <CredentialsForm
        title="Sign in"
        fields={["email", "password"]}
        busy={busy}
        describedBy={problem ? problemId : undefined}
        onSubmit={(values) => void run("sign-in/email", values)}
      />
      {oidc && (
        <button type="button" disabled={busy} onClick={() => void run("sign-in/social", { provider: "oidc", callbackURL: "/" })} className={SECONDARY}>
          Sign in with {oidc}
        </button>
      )}
      <CredentialsForm
        title="Create an account"
        fields={["name", "email", "password"]}
        busy={busy}
        describedBy={problem ? problemId : undefined}
        onSubmit={(values) => void run("sign-up/email", values)}
      />
    </div>
  );
}

type Field = "name" | "email" | "password";
const FIELDS: Record<Field, { label: string; type: string; autoComplete: string; maxLength: number; minLength?: number }> = {
  name: { label: "Name on the board", type: "text", autoComplete: "nickname", maxLength: AUTHOR_MAX_LENGTH },
  email: { label: "E-mail address", type: "email", autoComplete: "email", maxLength: 320 },
  password: { label: "Password (10 characters or more)", type: "password", autoComplete: "current-password", maxLength: 128, minLength: 10 },
};

function CredentialsForm(props: { title: string; fields: Field[]; busy: boolean; describedBy?: string; onSubmit(values: Record<string, string>): void }) {
  const id = useId();
  const creating = props.fields.includes("name");
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    props.onSubmit(Object.fromEntries(props.fields.map((field) => [field, formText(data.get(field))])));
  };
  return (
    <form onSubmit={submit} aria-labelledby={`${id}-title`} className="flex flex-col gap-3 rounded-2xl border border-slate-200 bg-white p-4 shadow-sm">
      <h2 id={`${id}-title`} className="text-lg font-semibold">
        {props.title}
      </h2>
      {props.fields.map((field) => {
        const spec = FIELDS[field];
        return (
          <div key={field} className="flex flex-col gap-1">
            <label htmlFor={`${id}-${field}`} className="text-sm font-medium">
              {spec.label}
            </label>
            <input
              id={`${id}-${field}`}
              name={field}
              type={spec.type}
              required
              maxLength={spec.maxLength}
              minLength={spec.minLength}
              autoComplete={field === "password" && creating ? "new-password" : spec.autoComplete}
              aria-describedby={props.describedBy}
              className="rounded-lg border border-slate-300 px-3 py-2 focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent"
            />
          </div>
        );
      })}
      <button type="submit" disabled={props.busy} className={BUTTON}>
        {props.title}
      </button>
    </form>
  );
}

const formText = (value: FormDataEntryValue | null) => (typeof value === "string" ? value : "");

const BUTTON =
  "rounded-lg bg-board-accent px-4 py-2 font-semibold text-white transition hover:bg-indigo-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent focus-visible:ring-offset-2 disabled:opacity-50";
const SECONDARY =
  "rounded-lg border border-board-accent px-4 py-2 font-semibold text-board-accent focus:outline-none focus-visible:ring-2 focus-visible:ring-board-accent focus-visible:ring-offset-2 disabled:opacity-50";
