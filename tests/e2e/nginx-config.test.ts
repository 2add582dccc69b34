// Every nginx configuration in the repository, checked by nginx itself (`nginx -t`): the one `npm run local
// -- --web 2` writes, and the compose balancer's, laid out as its container mounts them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { parse } from "yaml";
import { z } from "zod";
import { nginxConfig } from "../../scripts/stack/balancer";
import { PROJECT_ROOT } from "../../scripts/stack/paths";

const home = mkdtempSync(path.join(tmpdir(), "nginx-config-"));
after(() => rmSync(home, { recursive: true, force: true }));

/** nginx -t on `config`; resolves to what nginx said, and fails with it when the check fails. */
function check(config: string, prefix: string): string {
  const result = spawnSync("nginx", ["-t", "-e", "stderr", "-p", prefix, "-c", config], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return result.stderr;
}

const version = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(spawnSync("nginx", ["-v"], { encoding: "utf8" }).stderr);
const [major, minor, patch] = (version?.slice(1) ?? []).map(Number) as [number, number, number];
// `server … resolve` in an upstream is open-source nginx's from 1.27.3 on; the image is newer than that.
const knowsResolve = major > 1 || minor > 27 || (minor === 27 && patch >= 3);

test("the local balancer's configuration", () => {
  mkdirSync(path.join(home, "temp"));
  const config = path.join(home, "local.conf");
  writeFileSync(config, nginxConfig(3000, [3001, 3002], home));
  assert.match(check(config, home), /test is successful/);
});

test("the compose balancer's configuration, each file where the container mounts it", (t) => {
  const balancer = z
    .object({ services: z.object({ balancer: z.object({ image: z.string(), volumes: z.array(z.string()) }) }) })
    .parse(parse(readFileSync(path.join(PROJECT_ROOT, "docker-compose.cluster.yml"), "utf8"), { merge: true })).services.balancer;
  const [, imageMinor] = /^nginx:1\.(\d+)/.exec(balancer.image) ?? [];
  assert.ok(Number(imageMinor) >= 28, `${balancer.image} re-resolves its upstreams' names`);

  // The container's /etc/nginx, /var/log/nginx and /run, under a directory of the test's own.
  const root = path.join(home, "container");
  const inRoot = (text: string) => text.replace(/(?<=[\s'"])\/(etc\/nginx|var\/log\/nginx|run)\//g, `${root}/$1/`);
  for (const directory of ["etc/nginx/conf.d", "var/log/nginx", "run"]) mkdirSync(path.join(root, directory), { recursive: true });
  writeFileSync(path.join(root, "etc/nginx/mime.types"), "types { text/html html; application/javascript js; }\n");
  for (const volume of balancer.volumes) {
    const [source = "", target = ""] = volume.split(":");
    let text = inRoot(readFileSync(path.join(PROJECT_ROOT, source), "utf8"));
    if (/\bresolve\b/.test(text)) {
      assert.match(text, /^resolver /m, `${source}: resolve needs a resolver`);
      // Without Docker's DNS the names cannot be looked up here; an older nginx also refuses `resolve`.
      text = text.replace(/\bweb-\d+(?=:3000)/g, "127.0.0.1");
      if (!knowsResolve) {
        t.diagnostic(`nginx ${major}.${minor}.${patch} here predates upstream "resolve": checked without it`);
        text = text.replace(/ resolve(?= )/g, "");
      }
    }
    writeFileSync(path.join(root, target), text);
  }
  assert.match(check(path.join(root, "etc/nginx/nginx.conf"), root), /test is successful/);
});
