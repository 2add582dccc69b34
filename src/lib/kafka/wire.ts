import { connect } from "node:net";

// The little of Kafka's wire protocol that the board speaks itself, for the requests kafkajs predates
// (DescribeQuorum; Metadata with topic ids). Only flexible versions: compact strings and arrays carry their
// length plus one, and every structure ends in tagged fields.

const CLIENT_ID = Buffer.from("message-board");

/** A size-prefixed request with a v2 header (the flexible one) around `body`. */
export function flexibleRequest(apiKey: number, version: number, correlationId: number, body: readonly Buffer[]): Buffer {
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(CLIENT_ID.length, 8);
  const message = Buffer.concat([header, CLIENT_ID, TAGS, ...body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(message.length);
  return Buffer.concat([size, message]);
}

/** No tagged fields. */
export const TAGS = Buffer.from([0]);

/** A compact string, or a compact array's length. */
export const compactString = (value: string) => Buffer.concat([uvarint(Buffer.byteLength(value) + 1), Buffer.from(value)]);
export const compactLength = (count: number) => uvarint(count + 1);

function uvarint(value: number): Buffer {
  const bytes: number[] = [];
  for (let rest = value; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) return Buffer.from([...bytes, rest]);
    bytes.push((rest % 128) | 0x80);
  }
}

/** Sends one request to `broker` (host:port) on a connection of its own; resolves with the answer, without its size prefix. */
export function exchange(broker: string, request: Buffer, what: string, timeoutMs: number): Promise<Buffer> {
  const [host = "127.0.0.1", port = "9092"] = broker.split(":");
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) });
    let received = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no ${what} answer from ${broker} within ${timeoutMs} ms`)));
    socket.once("error", fail);
    // A broker closes the connection on a request version it does not know.
    socket.once("close", () => reject(new Error(`${broker} closed the connection without a ${what} answer`)));
    socket.once("connect", () => socket.write(request));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      socket.end();
      resolve(received.subarray(4, 4 + received.readInt32BE(0)));
    });
  });
}

/** Reads a flexible answer front to back. */
export class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  /** The v1 response header: the correlation id, then tags. */
  header(): number {
    const correlationId = this.int32();
    this.skipTags();
    return correlationId;
  }

  bool(): boolean {
    return this.buffer.readUInt8(this.offset++) !== 0;
  }

  int16(): number {
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  int64(): bigint {
    const value = this.buffer.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  /** A UUID as Kafka's tools print it: URL-safe base64 of its 16 bytes, unpadded. */
  uuid(): string {
    const value = this.buffer.subarray(this.offset, this.offset + 16).toString("base64url");
    this.offset += 16;
    return value;
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.buffer.readUInt8(this.offset++);
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  }

  /** A compact array's element count (null counts as empty). */
  arrayLength(): number {
    return Math.max(0, this.uvarint() - 1);
  }

  /** A compact string; null reads as "". */
  string(): string {
    const length = this.arrayLength();
    const value = this.buffer.toString("utf8", this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  skipTags(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      // Read apart: `offset += uvarint()` would add to the offset as it was before the size was read.
      const size = this.uvarint();
      this.offset += size;
    }
  }
}

/** The answer of the first address that gives one; `final` errors (the same from every broker) end the search. */
export async function firstAnswer<T>(addresses: readonly string[], ask: (address: string) => Promise<T>, final = (_: unknown) => false): Promise<T> {
  let lastError: unknown = new Error("no broker address");
  for (const address of addresses) {
    try {
      return await ask(address);
    } catch (error) {
      if (final(error)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}
