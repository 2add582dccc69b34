// The stream's events as WebSocket messages. The board's rooms encode each event once, as Server-Sent
// Events bytes shared by every viewer; a WebSocket viewer turns those bytes into its own messages, and the
// turning is kept with the bytes, so that it too happens once per event, however many viewers there are.

const decoder = new TextDecoder();
const converted = new WeakMap<Uint8Array, string[]>();

/** The WebSocket messages (`{"event", "id"?, "data"?}`, JSON) for one chunk of the SSE stream. */
export function socketMessagesOf(chunk: Uint8Array): string[] {
  let messages = converted.get(chunk);
  if (!messages) {
    messages = decoder.decode(chunk).split("\n\n").flatMap(socketMessage);
    converted.set(chunk, messages);
  }
  return messages;
}

/** One SSE event as a WebSocket message; a comment is a heartbeat, and `retry` has no meaning here. */
function socketMessage(block: string): string[] {
  if (block === "") return [];
  if (block.startsWith(":")) return ['{"event":"heartbeat"}'];
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "id") id = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return [];
  // The stream's data is always one line of JSON, placed as it is rather than parsed and written again.
  const payload = data.join("\n");
  const json = payload.startsWith("{") || payload.startsWith("[") ? payload : JSON.stringify(payload);
  return [`{"event":${JSON.stringify(event)},${id === undefined ? "" : `"id":${JSON.stringify(id)},`}"data":${json}}`];
}
