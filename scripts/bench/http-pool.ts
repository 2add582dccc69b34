import { connect, type Socket } from "node:net";

/**
 * Keep-alive HTTP/1.1 connections that send a request and read its answer with the least work a client
 * can do, as load generators do (wrk, autocannon): node's own client costs about as much CPU per request
 * as the server being measured, and on one machine it would take that CPU from the server.
 * Answers must carry Content-Length or be chunked; a connection is used by one request at a time.
 */
export class HttpPool {
  private readonly idle: Connection[] = [];
  private readonly host: string;
  private readonly port: number;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.host = hostname;
    this.port = Number(port);
  }

  /** POSTs a JSON body; resolves to the status once the whole answer is read. */
  async post(path: string, body: string): Promise<number> {
    let connection = this.idle.pop();
    // A server closes connections that stay idle (Node's keep-alive timeout is 5 s).
    while (connection?.closed) connection = this.idle.pop();
    connection ??= await Connection.open(this.host, this.port);
    const head = `POST ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const { status, reusable } = await connection.exchange(head + body);
    if (reusable) this.idle.push(connection);
    else connection.close();
    return status;
  }

  close(): void {
    for (const connection of this.idle.splice(0)) connection.close();
  }
}

type Answer = { status: number; reusable: boolean };

class Connection {
  closed = false;
  private buffer = "";
  private waiting: { resolve(answer: Answer): void; reject(error: Error): void } | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      this.tryFinish();
    });
    const fail = (error?: Error) => {
      this.closed = true;
      this.waiting?.reject(error ?? new Error("connection closed"));
      this.waiting = undefined;
    };
    socket.on("error", fail);
    socket.on("close", () => fail());
  }

  static open(host: string, port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new Connection(socket)));
      socket.once("error", reject);
    });
  }

  exchange(request: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(request, "utf8");
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private tryFinish(): void {
    const headEnd = this.buffer.indexOf("\r\n\r\n");
    if (headEnd === -1 || !this.waiting) return;
    const head = this.buffer.slice(0, headEnd).toLowerCase();
    const bodyStart = headEnd + 4;
    let end: number;
    const length = /\r\ncontent-length: *(\d+)/.exec(head)?.[1];
    if (length !== undefined) {
      end = bodyStart + Number(length);
      if (this.buffer.length < end) return;
    } else {
      const last = this.buffer.indexOf("\r\n0\r\n\r\n", bodyStart - 2);
      if (last === -1) return;
      end = last + 7;
    }
    this.buffer = this.buffer.slice(end);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting.resolve({ status: Number(head.slice(9, 12)), reusable: !/\r\nconnection: *close/.test(head) });
  }
}
