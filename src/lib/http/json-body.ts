import { ApiError } from "./api-error";
import type { Call } from "./call";

/** Far above any valid message (1,000 characters of text and a short name), far below anything harmful. */
export const MAX_BODY_BYTES = 16 * 1024;

/** Reads a JSON body, refusing a body over the limit as soon as it is known to be over, not after. */
export async function readJsonBody(call: Pick<Call, "headers" | "body">): Promise<unknown> {
  const type = call.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError(415, "unsupported_media_type", "Send the message as JSON with Content-Type: application/json");
  }
  const declared = Number(call.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  let text: string;
  try {
    text = await readText(call.body);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(400, "invalid_json", "The request body is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_json", "The request body is not valid JSON");
  }
}

async function readText(body: AsyncIterable<Uint8Array> | null): Promise<string> {
  if (!body) return "";
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let bytes = 0;
  let text = "";
  // Leaving the loop early (by throwing) stops the body from being read any further.
  for await (const chunk of body) {
    bytes += chunk.byteLength;
    if (bytes > MAX_BODY_BYTES) throw tooLarge();
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

function tooLarge(): ApiError {
  return new ApiError(413, "payload_too_large", `The request body must be at most ${MAX_BODY_BYTES} bytes`);
}
