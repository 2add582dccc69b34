// The benchmark's stream viewers, in a process of their own so that reading thousands of streams does not
// hold up the posts the load client sends on time. Forked by offered-load.ts, which it talks to over IPC:
// it says "open" once every stream answered, and on "finish" waits for what was accepted and reports.
import { connect, type Socket } from "node:net";
import { z } from "zod";

const viewersOptionsSchema = z.object({ url: z.string(), viewers: z.number().int().positive(), timed: z.number().int().positive(), tag: z.string() });
const finishSchema = z.object({ type: z.literal("finish"), accepted: z.array(z.number()) });
/** Per timed arrival: the post's index, when it arrived (ms since the epoch), and the times it carries. */
type Arrival = [index: number, arrivedAt: number, createdAt: number, appendedAt: number, consumedAt: number, storedAt: number];
type ViewersReport = { type: "report"; delivered: number; arrivals: Arrival[] };

// Every message event's data starts so, on the board and on the floor; lists of boards and activity do not.
const MESSAGE_DATA = Buffer.from('data: {"id":"');
const carried = z.object({ text: z.string(), createdAt: z.string(), appendedAt: z.number(), consumedAt: z.number(), storedAt: z.number() }).partial();

let delivered = 0;
const arrivals: Arrival[] = [];

/** Counts message events in the raw bytes, carrying a tail over in case one is split between reads. */
function counting() {
  let tail: Buffer = Buffer.alloc(0);
  return (chunk: Buffer) => {
    const bytes = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    for (let at = bytes.indexOf(MESSAGE_DATA); at !== -1; at = bytes.indexOf(MESSAGE_DATA, at + 1)) delivered++;
    tail = bytes.subarray(bytes.length - (MESSAGE_DATA.length - 1));
  };
}

/** Reads each event and times each post's first arrival; `seen` has the posts that arrived. */
function timing(marker: RegExp, seen: Set<number>) {
  let text = "";
  return (chunk: Buffer) => {
    const now = performance.timeOrigin + performance.now();
    text += chunk.toString("utf8");
    let end: number;
    while ((end = text.indexOf("\n\n")) !== -1) {
      const data = /^data: (\{"id".*)$/m.exec(text.slice(0, end))?.[1];
      text = text.slice(end + 2);
      if (!data) continue;
      delivered++;
      const message = carried.parse(JSON.parse(data));
      const index = Number(marker.exec(message.text ?? "")?.[1] ?? NaN);
      if (Number.isNaN(index) || seen.has(index)) continue;
      seen.add(index);
      const { createdAt, appendedAt = NaN, consumedAt = NaN, storedAt = NaN } = message;
      arrivals.push([index, now, createdAt ? Date.parse(createdAt) : NaN, appendedAt, consumedAt, storedAt]);
    }
  };
}

/** A stream over a bare socket: the least a client can do per event, as load generators do. */
function openStream(url: URL, onData: (chunk: Buffer) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`GET /api/messages/stream HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`);
    });
    socket.once("error", reject);
    socket.once("data", (first) => {
      if (!first.toString("latin1", 0, 12).endsWith(" 200")) return reject(new Error(`stream answered ${first.toString("latin1", 0, 12)}`));
      socket.on("error", () => {}); // a stream the server ends is a viewer that stops receiving
      socket.on("data", onData);
      resolve(socket);
    });
  });
}

async function main() {
  const options = viewersOptionsSchema.parse(JSON.parse(process.argv[2] ?? "{}"));
  const url = new URL(options.url);
  const marker = new RegExp(`^e2e-${options.tag}-(\\d+)$`);
  const every = Math.max(1, Math.floor(options.viewers / Math.min(options.timed, options.viewers)));
  const seen: Set<number>[] = [];
  const sockets: Socket[] = [];
  for (let i = 0; i < options.viewers; i += 200) {
    const batch = Array.from({ length: Math.min(200, options.viewers - i) }, (_, j) => {
      if ((i + j) % every !== 0 || seen.length >= options.timed) return openStream(url, counting());
      const arrived = new Set<number>();
      seen.push(arrived);
      return openStream(url, timing(marker, arrived));
    });
    sockets.push(...(await Promise.all(batch)));
  }
  process.send?.({ type: "open" });

  process.on("message", (raw) => {
    const { accepted } = finishSchema.parse(raw);
    const done = new Set(accepted);
    const deadline = Date.now() + 10_000;
    const check = () => {
      const all = seen.every((arrived) => accepted.every((index) => arrived.has(index))) && delivered >= accepted.length * options.viewers;
      if (!all && Date.now() < deadline) return void setTimeout(check, 20);
      for (const socket of sockets) socket.destroy();
      const report: ViewersReport = { type: "report", delivered, arrivals: arrivals.filter(([index]) => done.has(index)) };
      process.send?.(report, () => process.exit(0));
    };
    check();
  });
  process.on("disconnect", () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
