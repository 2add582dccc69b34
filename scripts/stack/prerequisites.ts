import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";

export class MissingPrerequisite extends Error {
  override name = "MissingPrerequisite";
}

export type Requirement = { command: string; debianPackage: string; neededFor: string };

export const JAVA: Requirement = { command: "java", debianPackage: "openjdk-17-jre-headless", neededFor: "run the Kafka broker" };
export const MAVEN: Requirement = { command: "mvn", debianPackage: "maven", neededFor: "download the Kafka broker" };
export const REDIS: Requirement = { command: "redis-server", debianPackage: "redis-server", neededFor: "run Redis" };
export const NGINX: Requirement = { command: "nginx", debianPackage: "nginx", neededFor: "put one address in front of several web instances" };
export const CHROMIUM: Requirement = { command: "chromium", debianPackage: "chromium", neededFor: "run the browser tests" };

let aptUpdated = false;

/**
 * Finds each command on PATH. As root on Debian, installs what is missing with apt-get; otherwise says in
 * one sentence what to install.
 */
export function ensureCommands(requirements: Requirement[], log: (line: string) => void): void {
  const missing = requirements.filter((requirement) => !onPath(requirement.command));
  if (missing.length === 0) return;
  const packages = missing.map((requirement) => requirement.debianPackage);
  if (canInstall()) {
    log(`Installing ${packages.join(", ")} with apt-get (once)…`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    if (!aptUpdated) spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    aptUpdated = true;
    spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], { stdio: "inherit", env });
  }
  const stillMissing = missing.filter((requirement) => !onPath(requirement.command));
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

export function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
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
