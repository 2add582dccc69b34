// No Docker engine is needed to check that the Docker path matches the app's defaults.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { z } from "zod";
import { parseConfig } from "../../src/lib/config";
import { PROJECT_ROOT } from "../../scripts/stack/paths";

const service = z.object({
  image: z.string(),
  ports: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  volumes: z.array(z.string()).optional(),
  command: z.array(z.string()).optional(),
  entrypoint: z.array(z.string()).optional(),
});
const compose = z
  .object({ services: z.record(z.string(), service), volumes: z.record(z.string(), z.unknown().nullable()) })
  .parse(parse(readFileSync(path.join(PROJECT_ROOT, "docker-compose.yml"), "utf8")));
const defaults = parseConfig({});
const { kafka, redis } = compose.services;
const init = compose.services["kafka-init"];
const ui = compose.services["kafka-ui"];

test("Kafka runs in KRaft mode on 9092, with its data on a volume", () => {
  assert.ok(kafka && kafka.environment);
  assert.match(kafka.image, /^apache\/kafka:4\./);
  assert.deepEqual(kafka.ports, [`127.0.0.1:${port(defaults.KAFKA_BROKERS[0])}:9092`]);
  assert.equal(kafka.environment.KAFKA_PROCESS_ROLES, "broker,controller");
  assert.match(String(kafka.environment.KAFKA_ADVERTISED_LISTENERS), /localhost:9092/);
  assert.equal(kafka.environment.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, 1);
  assert.equal(kafka.environment.KAFKA_AUTO_CREATE_TOPICS_ENABLE, "false");
  const logDir = String(kafka.environment.KAFKA_LOG_DIRS);
  assert.ok(!logDir.startsWith("/tmp"), "not in the container's /tmp");
  assert.ok(kafka.volumes?.some((volume) => volume.endsWith(`:${logDir}`) && volume.split(":")[0]! in compose.volumes));
});

test("PostgreSQL keeps the history on a volume, on the app's port, with the role and database the README gives", () => {
  const postgres = compose.services.postgres;
  assert.ok(postgres && postgres.environment);
  assert.match(postgres.image, /^postgres:15/);
  assert.deepEqual(postgres.ports, ["127.0.0.1:5432:5432"]);
  const documented = new URL(
    /postgres:\/\/board:board@[^\s.]+(?:\.[^\s.]+)*\/\w+/.exec(readFileSync(path.join(PROJECT_ROOT, ".env.local.example"), "utf8"))?.[0] ?? "postgres://x",
  );
  assert.equal(postgres.environment.POSTGRES_USER, documented.username);
  assert.equal(postgres.environment.POSTGRES_PASSWORD, documented.password);
  assert.equal(postgres.environment.POSTGRES_DB, documented.pathname.slice(1));
  assert.ok(postgres.volumes?.some((volume) => volume.endsWith(":/var/lib/postgresql/data") && volume.split(":")[0]! in compose.volumes));
});

test("the topics are created with the app's names and partitions, not auto-created with one", () => {
  const args = init?.entrypoint?.join(" ") ?? "";
  assert.match(args, new RegExp(`--topic ${defaults.KAFKA_TOPIC} --partitions ${defaults.KAFKA_TOPIC_PARTITIONS}\\b`));
  assert.match(args, new RegExp(`--topic ${defaults.KAFKA_DLQ_TOPIC.replaceAll(".", "\\.")} --partitions 1\\b`));
  assert.match(
    args,
    new RegExp(`--topic ${defaults.KAFKA_BOARDS_TOPIC.replaceAll(".", "\\.")} --partitions 1 --replication-factor 1 --config retention\\.ms=-1`),
  );
  assert.equal(args.match(/--if-not-exists/g)?.length, 3);
  assert.match(
    args,
    new RegExp(`--replication-factor 1 --config message\\.timestamp\\.type=LogAppendTime --config retention\\.ms=${defaults.KAFKA_RETENTION_MS} &&`),
    "as ensureBoardTopics creates it",
  );
});

test("Redis keeps an append-only file on a volume, on the app's port", () => {
  assert.ok(redis);
  assert.deepEqual(redis.ports, [`127.0.0.1:${new URL(defaults.REDIS_URL).port}:6379`]);
  assert.match(redis.command?.join(" ") ?? "", /--appendonly yes/);
  assert.ok(redis.volumes?.some((volume) => volume.endsWith(":/data") && volume.split(":")[0]! in compose.volumes));
});

test("Kafka UI is the maintained kafbat image, on 8080, pointed at the broker", () => {
  assert.ok(ui?.environment);
  assert.match(ui.image, /^kafbat\/kafka-ui/);
  assert.deepEqual(ui.ports, ["127.0.0.1:8080:8080"]);
  assert.match(String(ui.environment.KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS), /^kafka:/);
});

test("the npm scripts drive this file", () => {
  const { scripts } = z.object({ scripts: z.record(z.string(), z.string()) }).parse(JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")));
  assert.match(scripts["docker:up"] ?? "", /docker compose up/);
  assert.match(scripts["docker:down"] ?? "", /docker compose down/);
  assert.match(scripts["docker:logs"] ?? "", /docker compose logs/);
});

function port(hostPort: string | undefined): string {
  return hostPort?.split(":")[1] ?? "";
}
