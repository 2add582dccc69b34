import pino from "pino";
import type { Config } from "./config";

type Fields = Record<string, unknown>;
type Level = "debug" | "info" | "warn" | "error";

export type Logger = Record<Level, (message: string, fields?: Fields) => void> & {
  /** The same output, under another scope (kafkajs inside the web process, say). */
  child(scope: string): Logger;
};

export type LogSettings = Pick<Config, "LOG_LEVEL" | "LOG_FORMAT">;

const LEVEL_NAMES: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/** pino's JSON lines as a person reads them: time, level, scope, message, then the fields. */
const readable = {
  write(line: string) {
    const { time, level, scope, msg, ...fields } = JSON.parse(line) as Fields & { time: number; level: number; scope?: string; msg?: string };
    const rest = Object.entries(fields)
      .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
      .join(" ");
    const clock = new Date(time).toISOString().slice(11, 23);
    process.stdout.write(`${clock} ${(LEVEL_NAMES[level] ?? String(level)).padEnd(5)} [${scope ?? "-"}] ${msg ?? ""}${rest ? `  ${rest}` : ""}\n`);
  },
};

/**
 * A process's logger, made once at its entry: JSON lines (`time`, `level`, `scope`, `msg`, fields) that
 * log shippers and `jq` read as they are, or readable lines with LOG_FORMAT=pretty (the default in a
 * terminal). LOG_LEVEL picks the least severe level written (debug adds a line per message).
 */
export function createLogger(scope: string, { LOG_LEVEL, LOG_FORMAT }: LogSettings): Logger {
  const pretty = LOG_FORMAT ? LOG_FORMAT === "pretty" : process.stdout.isTTY;
  // Logging never takes the process down: with the reader of our output gone (a closed terminal, a
  // launcher that was killed), lines are lost, and a shutdown still runs to its end.
  process.stdout.on("error", () => {});
  const destination = pretty ? readable : pino.destination({ sync: true }).on("error", () => {});
  const root = pino(
    {
      level: LOG_LEVEL,
      base: undefined,
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { level: (_label, number) => ({ level: number }) },
    },
    destination,
  );
  return wrap(root, scope);
}

function wrap(root: pino.Logger, scope: string): Logger {
  const logger = root.child({ scope });
  const write = (level: Level) => (message: string, fields?: Fields) => logger[level](fields ?? {}, message);
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    child: (other) => wrap(root, other),
  };
}

export function errorFields(error: unknown): Fields {
  return error instanceof Error ? { error: error.message, errorName: error.name } : { error: String(error) };
}
