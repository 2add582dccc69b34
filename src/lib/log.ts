type Fields = Record<string, unknown>;
type Level = "info" | "warn" | "error";

/** One JSON object per line, so that log shippers and `jq` read it as it is. */
function write(level: Level, scope: string, message: string, fields?: Fields): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, scope, message, ...fields });
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
}

export type Logger = Record<Level, (message: string, fields?: Fields) => void>;

export function createLogger(scope: string): Logger {
  return {
    info: (message, fields) => write("info", scope, message, fields),
    warn: (message, fields) => write("warn", scope, message, fields),
    error: (message, fields) => write("error", scope, message, fields),
  };
}

export function errorFields(error: unknown): Fields {
  return error instanceof Error ? { error: error.message, errorName: error.name } : { error: String(error) };
}
