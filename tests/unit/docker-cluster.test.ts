// No Docker engine is needed to check that the production-shaped path is what the README says: three
// Kafka nodes that replicate, two web instances and two consumers from one image, nginx in front.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { createServer } from "node:http";
import { z } from "zod";
import { parseConfig } from "../../src/lib/config";
import { UPSTREAM_IDLE_SECONDS } from "../../scripts/stack/balancer";
import { nodesFrom, serverProperties } from "../../scripts/stack/kafka-broker";
import { PROJECT_ROOT } from "../../scripts/stack/paths";

const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), "utf8");
const service = z.object({
  image: z.string(),
  build: z.string().optional(),
  profiles: z.array(z.string()).optional(),
  init: z.boolean().optional(),
  command: z.array(z.string()).optional(),
  entrypoint: z.array(z.string()).optional(),
  ports: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  volumes: z.array(z.string()).optional(),
});
const compose = z
  .object({ services: z.record(z.string(), service), volumes: z.record(z.string(), z.unknown().nullable()) })
  .parse(parse(read("docker-compose.cluster.yml"), { merge: true }));
const named = (name: string) => {
  const found = compose.services[name];
  assert.ok(found, `service ${name}`);
  return found;
};
const nodes = ["kafka-1", "kafka-2", "kafka-3"].map(named);

test("three Kafka nodes form one quorum, each with its own id, port and volume", () => {
  const env = nodes.map((node) => node.environment);
  assert.deepEqual(
    env.map((settings) => settings.KAFKA_NODE_ID),
    [1, 2, 3],
  );
  assert.equal(new Set(env.map((settings) => settings.CLUSTER_ID)).size, 1, "one cluster id");
  for (const settings of env) assert.equal(settings.KAFKA_CONTROLLER_QUORUM_VOTERS, "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093");
  assert.deepEqual(
    nodes.map((node) => node.ports),
    [["127.0.0.1:9092:9092"], ["127.0.0.1:9094:9092"], ["127.0.0.1:9096:9092"]],
  );
  const volumes = nodes.map((node) => node.volumes?.[0]?.split(":")[0] ?? "");
  assert.equal(new Set(volumes).size, 3);
  for (const volume of volumes) assert.ok(volume in compose.volumes);
});

test("every partition has three copies, a write needs two, and no stale replica is made leader", () => {
  for (const { environment } of nodes) {
    assert.equal(environment.KAFKA_DEFAULT_REPLICATION_FACTOR, 3);
    assert.equal(environment.KAFKA_MIN_INSYNC_REPLICAS, 2);
    assert.equal(environment.KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE, "false");
    assert.equal(environment.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, 3);
  }
  const init = named("kafka-init").entrypoint?.join(" ") ?? "";
  assert.equal(init.match(/--replication-factor 3 /g)?.length, 3, "the messages, the dead letters and the boards");
  assert.equal(init.match(/--config min\.insync\.replicas=2/g)?.length, 3);
});

test('profile "apps": two web instances and two consumers run the image built here against all three nodes, nginx in front on :3000', () => {
  const apps = ["web-1", "web-2", "consumer-1", "consumer-2"].map(named);
  for (const app of [...apps, named("balancer")]) assert.deepEqual(app.profiles, ["apps"], "the cluster alone runs without them");
  for (const app of apps) {
    assert.equal(app.build, ".");
    assert.equal(app.init, true, "an init as PID 1 passes docker stop's signal to node");
    assert.deepEqual(parseConfig(Object.fromEntries(Object.entries(app.environment).map(([key, value]) => [key, String(value)]))).KAFKA_BROKERS, [
      "kafka-1:29092",
      "kafka-2:29092",
      "kafka-3:29092",
    ]);
  }
  for (const web of apps.slice(0, 2)) assert.equal(web.environment.TRUSTED_PROXY_HOPS, 1, "the client's address comes from nginx");
  for (const consumer of apps.slice(2)) assert.equal(consumer.command?.join(" "), "node --import tsx scripts/start-consumer.ts");

  const balancer = named("balancer");
  assert.deepEqual(balancer.ports, ["127.0.0.1:3000:80"]);
  assert.ok(balancer.volumes?.includes("./scripts/nginx/board-proxy.conf:/etc/nginx/board-proxy.conf:ro"));
  const upstreams = [...read("scripts/nginx/compose.conf").matchAll(/server (\S+) /g)].map((match) => match[1]);
  assert.deepEqual(upstreams, ["web-1:3000", "web-2:3000"]);
});

test("the balancer passes streams through unbuffered and the client's address as TRUSTED_PROXY_HOPS expects", () => {
  const proxy = read("scripts/nginx/board-proxy.conf");
  for (const directive of [/^proxy_buffering off;/m, /^proxy_read_timeout 1h;/m, /^proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/m]) {
    assert.match(proxy, directive);
  }
});

test("the image is built in stages and runs as an unprivileged user", () => {
  const dockerfile = read("Dockerfile");
  assert.ok((dockerfile.match(/^FROM /gm)?.length ?? 0) >= 2, "multi-stage");
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
  assert.match(finalStage, /^USER node$/m);
  assert.match(finalStage, /--omit=dev/);
  // node itself, not the tsx command, whose signal relay kills a busy app before its drain.
  assert.match(finalStage, /^CMD \["node", "--import", "tsx", "src\/server\/main\.ts"\]$/m);
});

test("the balancers let an idle connection to an instance go before the instance closes it, and keep operators' routes to themselves", () => {
  // Node closes a connection idle for keepAliveTimeout; a request nginx sends on it at that moment is a 502,
  // and nginx does not retry a POST.
  const nodeIdleMs = createServer().keepAliveTimeout;
  const compose = read("scripts/nginx/compose.conf");
  const idle = Number(/^\s*keepalive_timeout (\d+)s;/m.exec(compose)?.[1]) * 1000;
  assert.ok(idle < nodeIdleMs, `compose: ${idle} ms, under Node's ${nodeIdleMs} ms`);
  assert.ok(UPSTREAM_IDLE_SECONDS * 1000 < nodeIdleMs, "npm run local --web 2");
  assert.match(compose, /include \/etc\/nginx\/operators-only\.conf;/);
  assert.match(read("scripts/nginx/compose-main.conf"), /worker_connections 16384;/);
});

test("every port the compose files publish is on the loopback; no container has a fixed name; every service but the one-off ones restarts", () => {
  for (const file of ["docker-compose.yml", "docker-compose.cluster.yml"]) {
    const services = z
      .object({
        services: z.record(
          z.string(),
          z.object({ ports: z.array(z.string()).optional(), container_name: z.string().optional(), restart: z.string().optional() }),
        ),
      })
      .parse(parse(read(file), { merge: true })).services;
    for (const [name, { ports = [], container_name, restart }] of Object.entries(services)) {
      for (const port of ports) assert.match(port, /^127\.0\.0\.1:/, `${file}: ${name} publishes ${port}`);
      assert.equal(container_name, undefined, `${file}: ${name}`);
      assert.equal(restart, name.endsWith("-init") ? "no" : "unless-stopped", `${file}: ${name}`);
    }
  }
});

test("the compose cluster's nodes have the settings of npm run local -- --brokers 3, but where they live and are reached", () => {
  const nodes = nodesFrom(9092, 3);
  const local = Object.fromEntries(
    serverProperties(nodes[0]!, nodes, "/data")
      .trim()
      .split("\n")
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  // Where a node lives and how it is reached differ by nature: containers, not ports of one machine.
  const placed = [
    "node.id",
    "controller.quorum.voters",
    "listeners",
    "advertised.listeners",
    "inter.broker.listener.name",
    "listener.security.protocol.map",
    "log.dirs",
  ];
  const environment = named("kafka-1").environment;
  for (const [property, value] of Object.entries(local).filter(([property]) => !placed.includes(property))) {
    const variable = `KAFKA_${property.toUpperCase().replaceAll(".", "_")}`;
    assert.equal(String(environment[variable]), value, `${variable} is ${property}=${value}, as in npm run local`);
  }
  assert.equal(environment.KAFKA_HEAP_OPTS, "-Xms512m -Xmx512m", "the heap npm run local gives each node");
});

test("the cluster's Prometheus scrapes every app container itself, with the alert rules", () => {
  const prometheus = named("prometheus");
  assert.deepEqual(prometheus.profiles, ["apps"]);
  const mounted = new Map((prometheus.volumes ?? []).map((volume) => [volume.split(":")[1], volume.split(":")[0]]));
  assert.equal(mounted.get("/etc/prometheus/prometheus.yml"), "./scripts/prometheus/compose-cluster.yml");
  assert.equal(mounted.get("/etc/prometheus/alerts.yml"), "./scripts/prometheus/alerts.yml");
  const scrape = z
    .object({ scrape_configs: z.array(z.object({ job_name: z.string(), static_configs: z.array(z.object({ targets: z.array(z.string()) })) })) })
    .parse(parse(read("scripts/prometheus/compose-cluster.yml")));
  const targets = Object.fromEntries(scrape.scrape_configs.map((job) => [job.job_name, job.static_configs.flatMap((config) => config.targets)]));
  assert.deepEqual(targets, {
    "message-board-web": ["web-1:3000", "web-2:3000"],
    "message-board-consumer": ["consumer-1:9464", "consumer-2:9464"],
  });
  for (const target of Object.values(targets).flat()) assert.ok(compose.services[target.split(":")[0]!], `${target} is a service of the file`);
});
