import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { MissingPrerequisite, POSTGRES } from "./prerequisites";
import { startProcess, type ManagedProcess, type Output, type Started } from "./processes";
import { untilReady } from "./wait";

export type PostgresServer = ManagedProcess & { url: string };

/** The role and database the board uses on a server of our own. */
const ROLE = "board";
const DATABASE = "board";

/**
 * A PostgreSQL server of our own, with its data in `dataDir`, listening on 127.0.0.1 only and trusting
 * local connections: a development server. It is created (initdb) on first start. PostgreSQL refuses to run
 * as root, so as root both run as the `postgres` account Debian's package creates.
 */
export async function startPostgresServer({
  port,
  dataDir,
  output,
  onStart,
}: {
  port: number;
  dataDir: string;
  output: Output;
  onStart?: Started;
}): Promise<PostgresServer> {
  const postgres = POSTGRES.locate?.();
  if (!postgres) throw new MissingPrerequisite(`PostgreSQL's server was not found: install ${POSTGRES.debianPackage}.`);
  const user = process.getuid?.() === 0 ? accountOf("postgres") : undefined;
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) initdb(path.join(path.dirname(postgres), "initdb"), dataDir, user);

  // Fast shutdown (SIGINT): open sessions are ended rather than waited for, and the server stops cleanly.
  const server = startProcess(
    "postgres",
    postgres,
    ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "log_min_messages=warning"],
    { output, user, stopSignal: "SIGINT" },
  );
  onStart?.(server);
  const url = `postgres://${ROLE}@127.0.0.1:${port}/${DATABASE}`;
  await untilReady(server, `PostgreSQL on port ${port}`, () => createDatabase(port), 30_000);
  return { ...server, url };
}

function initdb(program: string, dataDir: string, user: { uid: number; gid: number } | undefined): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (user) {
    chownSync(dataDir, user.uid, user.gid);
    letThrough(path.dirname(dataDir));
  }
  const result = spawnSync(program, ["-D", dataDir, "-U", ROLE, "-A", "trust", "-E", "UTF8", "--locale", "C.UTF-8"], {
    encoding: "utf8",
    ...user,
  });
  if (result.status !== 0) throw new Error(`initdb failed (${result.status ?? result.signal}):\n${result.stderr}${result.stdout}`);
}

/**
 * The server's account must reach its data directory: directories on the way that only their owner may
 * enter (a private temporary directory, say) get the right to pass through, and nothing more.
 */
function letThrough(dir: string): void {
  for (let at = dir; at !== path.dirname(at); at = path.dirname(at)) {
    const { mode } = statSync(at);
    if ((mode & 0o001) === 0) chmodSync(at, mode | 0o001);
  }
}

function accountOf(name: string): { uid: number; gid: number } {
  try {
    return { uid: Number(execFileSync("id", ["-u", name], { encoding: "utf8" })), gid: Number(execFileSync("id", ["-g", name], { encoding: "utf8" })) };
  } catch {
    throw new MissingPrerequisite(`PostgreSQL will not run as root, and there is no \`${name}\` account to run it as: reinstall ${POSTGRES.debianPackage}.`);
  }
}

/** Creates the board's database the first time; true once the server answers. */
async function createDatabase(port: number): Promise<boolean> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: ROLE, database: "postgres", connectionTimeoutMillis: 1000 });
  client.on("error", () => {});
  try {
    await client.connect();
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
