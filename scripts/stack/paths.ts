import path from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Everything the local stack downloads or stores; ignored by git. */
export const LOCAL_DIR = path.join(PROJECT_ROOT, ".local");
export const KAFKA_LIBS = path.join(LOCAL_DIR, "kafka", "libs");
