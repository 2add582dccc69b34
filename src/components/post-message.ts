import { errorBodySchema } from "@/lib/http/error-body";
import type { NewMessage } from "@/lib/messages/schema";

/** What to tell the person, by where it belongs: beside a field, or about the post as a whole. */
export type Problems = { text?: string; author?: string; form?: string };

export type PostResult =
  | { ok: true }
  /** `retryable`: the same post may succeed later (a dependency was down, the network failed). */
  | { ok: false; retryable: boolean; problems: Problems };

export async function postMessage(message: NewMessage): Promise<PostResult> {
  let response: Response;
  try {
    response = await fetch("/api/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(message),
    });
  } catch {
    return { ok: false, retryable: true, problems: { form: "Could not reach the server. Check your connection and try again." } };
  }
  if (response.ok) return { ok: true };
  const retryable = response.status >= 500 || response.status === 429;
  const body = errorBodySchema.safeParse(await response.json().catch(() => undefined));
  if (!body.success) return { ok: false, retryable, problems: { form: `The server answered ${response.status}. Try again.` } };
  const { message: said, fields } = body.data.error;
  if (fields?.text || fields?.author) return { ok: false, retryable, problems: { text: fields.text, author: fields.author } };
  return { ok: false, retryable, problems: { form: said } };
}
