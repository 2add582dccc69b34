/** The parsed JSON, or undefined for anything that is not JSON: for input that may be anything. */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
