// Server-Sent Events framing (https://html.spec.whatwg.org/multipage/server-sent-events.html).

const encoder = new TextEncoder();
const LINE_BREAK = /\r\n|\r|\n/;

export const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  // no-transform keeps proxies from compressing, and so buffering, the stream.
  "Cache-Control": "no-cache, no-transform",
  // nginx buffers responses unless told otherwise.
  "X-Accel-Buffering": "no",
} as const;

export type SseEvent = { id?: string; event?: string; data: string };

export function encodeEvent({ id, event, data }: SseEvent): Uint8Array {
  let frame = "";
  // A line break in id or event would end the field early and let the rest pose as other fields.
  if (id !== undefined) frame += `id: ${singleLine(id)}\n`;
  if (event !== undefined) frame += `event: ${singleLine(event)}\n`;
  for (const line of data.split(LINE_BREAK)) frame += `data: ${line}\n`;
  return encoder.encode(`${frame}\n`);
}

export function encodeComment(text: string): Uint8Array {
  return encoder.encode(`: ${singleLine(text)}\n\n`);
}

/** How long a browser waits before reconnecting after the stream ends. */
export function encodeRetry(milliseconds: number): Uint8Array {
  return encoder.encode(`retry: ${Math.round(milliseconds)}\n\n`);
}

function singleLine(value: string): string {
  return value.replace(/[\r\n]/g, "");
}
