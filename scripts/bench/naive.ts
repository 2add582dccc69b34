// The naive design the benchmark compares against, kept out of the product: a send awaited per request
// with no coalescing, one Redis subscriber per viewer, and a consumer that makes one Redis round trip per
// command per message. Run as a process: `tsx scripts/bench/naive.ts <port>`; the consumer is a function.
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { Redis } from "ioredis";

const kafkaOf = (brokers: string[]) => new Kafka({ brokers, clientId: "naive", logLevel: logLevel.NOTHING });

/** POST /api/messages produces and awaits; GET /api/messages/stream subscribes to Redis for this viewer. */
export async function startNaiveServer(port: number, brokers: string[], redisUrl: string, topic: string, channel: string) {
  const producer = kafkaOf(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const server = createServer((request, response) => {
    if (request.method === "POST" && request.url === "/api/messages") {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        const { text } = JSON.parse(body) as { text: string };
        const message = { id: randomUUID(), board: "main", author: "Anonymous", text, createdAt: new Date().toISOString() };
        producer.send({ topic, acks: -1, messages: [{ key: "main", value: JSON.stringify(message) }] }).then(
          () => response.writeHead(201, { "Content-Type": "application/json" }).end(JSON.stringify(message)),
          () => response.writeHead(503).end(),
        );
      });
      return;
    }
    if (request.method === "GET" && request.url?.startsWith("/api/messages/stream")) {
      const subscriber = new Redis(redisUrl, { connectionName: "naive-viewer" });
      response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      void subscriber.subscribe(channel).then(() => response.write(": subscribed\n\n"));
      subscriber.on("message", (_channel: string, payload: string) => {
        const { message } = JSON.parse(payload) as { message: unknown };
        response.write(`data: ${JSON.stringify(message)}\n\n`);
      });
      request.on("close", () => subscriber.disconnect());
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { close: async () => (server.closeAllConnections(), server.close(), await producer.disconnect()) };
}

/** Per message: LPUSH, LTRIM, PUBLISH, HSET of the offset, INCR of a count, each awaited in turn. */
export async function startNaiveConsumer(
  brokers: string[],
  redisUrl: string,
  topic: string,
  keys: { list: string; channel: string },
): Promise<Consumer & { redis: Redis }> {
  const redis = new Redis(redisUrl);
  const consumer = kafkaOf(brokers).consumer({ groupId: `naive-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seq = 0;
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const stored = { ...(JSON.parse(message.value?.toString() ?? "{}") as Record<string, unknown>), seq: ++seq, partition, offset: message.offset };
      const entry = JSON.stringify(stored);
      await redis.lpush(keys.list, entry);
      await redis.ltrim(keys.list, 0, 99);
      await redis.publish(keys.channel, JSON.stringify({ epoch: "naive", message: stored }));
      await redis.hset(`${keys.list}:applied`, `${topic}:${partition}`, message.offset);
      await redis.incr(`${keys.list}:count`);
    },
  });
  return Object.assign(consumer, { redis });
}

if (process.argv[1]?.endsWith("naive.ts") && process.argv[2]) {
  const [port, brokers, redisUrl, topic, channel] = process.argv.slice(2) as [string, string, string, string, string];
  const naive = await startNaiveServer(Number(port), brokers.split(","), redisUrl, topic, channel);
  console.log("naive server ready");
  process.on("SIGTERM", () => void naive.close().then(() => process.exit(0)));
}
