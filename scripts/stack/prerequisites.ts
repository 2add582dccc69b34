import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants, readdirSync } from "node:fs";
import path from "node:path";

export class MissingPrerequisite extends Error {
  override name = "MissingPrerequisite";
}

/** A command the stack needs; `locate` finds it where the package puts it off PATH. */
export type Requirement = { command: string; debianPackage: string; neededFor: string; locate?: () => string | undefined };

export const JAVA: Requirement = { command: "java", debianPackage: "openjdk-17-jre-headless", neededFor: "run the Kafka broker" };
export const MAVEN: Requirement = { command: "mvn", debianPackage: "maven", neededFor: "download the Kafka broker" };
export const REDIS: Requirement = { command: "redis-server", debianPackage: "redis-server", neededFor: "run Redis" };
export const NGINX: Requirement = { command: "nginx", debianPackage: "nginx", neededFor: "put one address in front of several web instances" };
export const POSTGRES: Requirement = {
  command: "postgres",
  debianPackage: "postgresql-15",
  neededFor: "keep the board's history",
  // Debian installs the server in a directory per major version and puts only the client on PATH.
  locate: () => onPath("postgres") ?? debianPostgres("postgres"),
};
export const CHROMIUM: Requirement = { command: "chromium", debianPackage: "chromium", neededFor: "run the browser tests" };

let aptUpdated = false;

/**
 * Finds each command on PATH. As root on Debian, installs what is missing with apt-get; otherwise says in
 * one sentence what to install.
 */
export function ensureCommands(requirements: Requirement[], log: (line: string) => void): void {
  const missing = requirements.filter((requirement) => !find(requirement));
  if (missing.length === 0) return;
  const packages = missing.map((requirement) => requirement.debianPackage);
  if (canInstall()) {
    log(`Installing ${packages.join(", ")} with apt-get (once)…`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    if (!aptUpdated) spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    aptUpdated = true;
    spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], { stdio: "inherit", env });
  }
  const stillMissing = missing.filter((requirement) => !find(requirement));
  if (stillMissing.length === 0) return;
  const what = stillMissing.map((r) => `${r.command} (to ${r.neededFor})`).join(", ");
  const install = stillMissing.map((r) => r.debianPackage).join(" ");
  throw new MissingPrerequisite(`Missing ${what}: install it with \`sudo apt-get install ${install}\` (or your system's package manager) and run this again.`);
}

/** Kafka 4 needs Java 17 or newer. */
export function ensureJava17(): void {
  const result = spawnSync("java", ["-version"], { encoding: "utf8" });
  const major = Number(/version "(\d+)/.exec(`${result.stderr}${result.stdout}`)?.[1] ?? 0);
  if (major < 17) {
    throw new MissingPrerequisite(
      `Kafka 4 needs Java 17 or newer, and \`java\` here is version ${major || "unknown"}: install ${JAVA.debianPackage} and put it first on PATH.`,
    );
  }
}

function find(requirement: Requirement): string | undefined {
  return requirement.locate ? requirement.locate() : onPath(requirement.command);
}

/** A PostgreSQL server program from Debian's packages, of the newest major version installed. */
export function debianPostgres(program: string): string | undefined {
  const root = "/usr/lib/postgresql";
  let versions: string[];
  try {
    versions = readdirSync(root).filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  for (const version of versions.sort((a, b) => Number(b) - Number(a))) {
    const candidate = path.join(root, version, "bin", program);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

function canInstall(): boolean {
  if (process.getuid?.() !== 0 || !onPath("apt-get")) return false;
  try {
    execFileSync("dpkg", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
