import os from "node:os"; import path from "node:path"; import { mkdtempSync } from "node:fs";
import { startOwnStack } from "./stack/own-stack";
import { startProcess } from "./stack/processes";
import { freePort, waitFor } from "./stack/wait";
import { startWebApp, startConsumerApp } from "./stack/app-processes";
import { createKafka } from "../src/lib/kafka/client";
import { ensureBoardTopics } from "../src/lib/kafka/topics";
import { openViewer, post, quantile } from "./bench/measure";
const work = mkdtempSync(path.join(os.tmpdir(), "e2e-"));
const stack = await startOwnStack(work, console.log);
const rate = Number(process.argv[2] ?? 1000);
try {
  const kafka = createKafka(stack.brokers, "x");
  for (let round = 0; round < Number(process.argv[3] ?? 3); round++) {
    const id = `e${round}`;
    await ensureBoardTopics(kafka, { KAFKA_TOPIC: id, KAFKA_TOPIC_PARTITIONS: 3, KAFKA_DLQ_TOPIC: `${id}.dlq` });
    const env = { KAFKA_BROKERS: stack.brokers.join(","), REDIS_URL: stack.redisUrl, KAFKA_TOPIC: id, KAFKA_DLQ_TOPIC: `${id}.dlq`, KAFKA_CONSUMER_GROUP: `${id}g`, REDIS_MESSAGES_KEY: `${id}m`, REDIS_CHANNEL: `${id}c`, POSTS_PER_MINUTE: "1000000", POST_BURST: "1000000", LOG_LEVEL: "warn" };
    const consumer = await startConsumerApp("c", env, { file: path.join(work, `c${round}.log`) });
    const port = await freePort();
    const child = startProcess("w", "node", ["--cpu-prof", "--cpu-prof-dir=/tmp/exp/prof2", "node_modules/next/dist/bin/next", "start", "-p", String(port), "-H", "127.0.0.1"], { env, output: { file: path.join(work, `w${round}.log`) } });
    const web = { ...child, url: `http://127.0.0.1:${port}` };
    await waitFor("web", async () => (await fetch(`${web.url}/api/health`)).ok);
    const sent = new Map<string, number>(); const rows: number[][] = [];
    let buf = "";
    const viewer = await openViewer(web.url, (chunk) => {
      const now = performance.now() + performance.timeOrigin; buf += chunk;
      let end; while ((end = buf.indexOf("\n\n")) !== -1) { const frame = buf.slice(0, end); buf = buf.slice(end + 2);
        const data = /^data: (.*)$/m.exec(frame)?.[1]; if (!data) continue; const m = JSON.parse(data); const at = sent.get(m.text); if (at === undefined) continue;
        rows.push([Date.parse(m.createdAt) - at, m.appendedAt - Date.parse(m.createdAt), m.consumedAt - m.appendedAt, m.storedAt - m.consumedAt, now - m.storedAt, now - at]); }
    });
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 100; i++) { await post(web.url, `{"text":"warm ${i}"}`); await new Promise((r) => setTimeout(r, 10)); }
    const total = rate * 5; const start = performance.now(); const ps = [];
    for (let i = 0; i < total; i++) { const due = start + (i * 1000) / rate; const w = due - performance.now(); if (w > 1) await new Promise((r) => setTimeout(r, w));
      sent.set(`m${i}`, performance.now() + performance.timeOrigin); ps.push(post(web.url, `{"text":"m${i}"}`)); }
    await Promise.all(ps); await new Promise((r) => setTimeout(r, 1500)); viewer.destroy();
    const names = ["sent→accepted", "accepted→appended", "appended→consumed", "consumed→stored", "stored→received", "total"];
    console.log(`round ${round}: ${rows.length}/${total}`);
    names.forEach((n, k) => { const v = rows.map((r) => r[k]!); console.log(n.padEnd(20), [0.5, 0.95, 0.99, 1].map((q) => quantile(v, q).toFixed(1)).join(" / ")); });
    await web.stop(); await consumer.stop();
  }
} finally { for (const p of stack.processes) await p.stop(); }
process.exit(0);
