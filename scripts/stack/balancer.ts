import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "./paths";
import { startProcess, type ManagedProcess, type Output, type Started } from "./processes";
import { untilReady } from "./wait";

export const PROXY_SETTINGS = path.join(PROJECT_ROOT, "scripts", "nginx", "board-proxy.conf");
const OPERATORS_ONLY = path.join(PROJECT_ROOT, "scripts", "nginx", "operators-only.conf");
// Below Node's keep-alive (5 s), as in scripts/nginx/compose.conf: nginx lets an idle connection to an
// instance go before the instance closes it, which would turn a request sent on it at that moment into a 502.
export const UPSTREAM_IDLE_SECONDS = 4;

type Options = { port: number; upstreams: number[]; home: string; output: Output; onStart?: Started };

/**
 * Debian's nginx in front of several web instances, as one address. Its own configuration, pid file and
 * temporary files in `home`; the system's nginx, if any, is left alone.
 */
export async function startBalancer({ port, upstreams, home, output, onStart }: Options): Promise<ManagedProcess & { url: string }> {
  const temp = path.join(home, "temp");
  mkdirSync(temp, { recursive: true });
  // Run as root, nginx's workers drop to nobody, and write request bodies there.
  chmodSync(temp, 0o1777);
  const config = path.join(home, "nginx.conf");
  writeFileSync(config, nginxConfig(port, upstreams, home));
  const nginx = startProcess("balancer", "nginx", ["-e", "stderr", "-p", home, "-c", config], { output });
  onStart?.(nginx);
  const url = `http://127.0.0.1:${port}`;
  await untilReady(nginx, `nginx on port ${port}`, async () => (await fetch(`${url}/api/health`)).ok, 20_000);
  return { ...nginx, url };
}

export function nginxConfig(port: number, upstreams: number[], home: string): string {
  const temp = (name: string) => `${name}_temp_path ${path.join(home, "temp", name)};`;
  return `# Written by npm run local; changes are overwritten.
daemon off;
master_process on;
worker_processes 1;
pid ${path.join(home, "nginx.pid")};
error_log stderr warn;
events { worker_connections 16384; }
http {
  access_log off;
  ${["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(temp).join("\n  ")}
  map $http_upgrade $connection_upgrade {
    default upgrade;
    "" "";
  }
  upstream board {
    ${upstreams.map((upstream) => `server 127.0.0.1:${upstream} max_fails=1 fail_timeout=5s;`).join("\n    ")}
    keepalive 64;
    keepalive_timeout ${UPSTREAM_IDLE_SECONDS}s;
  }
  server {
    listen ${port};
    include ${OPERATORS_ONLY};
    location / {
      include ${PROXY_SETTINGS};
    }
  }
}
`;
}
