import { connect, type Socket } from "node:net";

/**
 * Keep-alive HTTP/1.1 connections that send a request and read its answer with the least work a client
 * can do, as load generators do (wrk, autocannon): node's own client costs about as much CPU per request
 * as the server being measured, and on one machine it would take that CPU from the server.
 * Answers must carry Content-Length or be chunked; a connection is used by one request at a time.
 *
 * At most `maxConnections` are open, as with a load balancer's pool: opening one per request at thousands
 * a second overflows the server's accept queue and measures the kernel's SYN retries instead.
 */
export class HttpPool {
  private readonly idle: Connection[] = [];
  private readonly queued: ((connection: Connection | undefined) => void)[] = [];
  private open = 0;
  private readonly host: string;
  private readonly port: number;

  constructor(
    url: string,
    private readonly maxConnections = 256,
  ) {
    const { hostname, port } = new URL(url);
    this.host = hostname;
    this.port = Number(port);
  }

  /** POSTs a JSON body (with a Cookie header, if given); resolves to the status once the whole answer is read. */
  async post(path: string, body: string, cookie?: string): Promise<number> {
    const connection = await this.take();
    const extra = cookie ? `Cookie: ${cookie}\r\n` : "";
    const head = `POST ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    try {
      const { status, reusable } = await connection.exchange(head + body);
      this.give(reusable ? connection : undefined);
      if (!reusable) connection.close();
      return status;
    } catch (error) {
      this.give(undefined);
      throw error;
    }
  }

  private async take(): Promise<Connection> {
    let connection = this.idle.pop();
    // A server closes connections that stay idle (Node's keep-alive timeout is 5 s).
    while (connection?.closed) {
      this.open--;
      connection = this.idle.pop();
    }
    if (connection) return connection;
    if (this.open >= this.maxConnections) {
      const handed = await new Promise<Connection | undefined>((resolve) => this.queued.push(resolve));
      if (handed) return handed;
    }
    this.open++;
    return Connection.open(this.host, this.port).catch((error: unknown) => {
      this.open--;
      throw error;
    });
  }

  /** A connection is free again (or, when undefined, gone): to the next waiting request, or to the idle ones. */
  private give(connection: Connection | undefined): void {
    if (!connection) this.open--;
    const next = this.queued.shift();
    if (next) next(connection);
    else if (connection) this.idle.push(connection);
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
