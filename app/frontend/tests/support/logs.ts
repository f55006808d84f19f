/** One line of the server's JSON log (src/lib/server/log.ts). */
export interface LogRecord {
  time: string;
  level: "DEBUG" | "INFO" | "WARNING" | "ERROR";
  logger: string;
  message: string;
  request_id: string | null;
  route?: string;
  method?: string;
  status?: number;
  duration_ms?: number;
  [field: string]: unknown;
}

// The server code logs to stdout. tests/setup.ts captures it for every test, so the output stays
// readable (a failing test prints what it logged) and tests can read the lines back.
const originalWrite = process.stdout.write.bind(process.stdout);
let captured: string[] = [];

export function captureStdout() {
  process.stdout.write = ((chunk: string | Uint8Array) => {
    captured.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  }) as typeof process.stdout.write;
}

export function releaseStdout() {
  process.stdout.write = originalWrite;
}

/** Forgets what was captured and returns it. */
export function takeStdout(): string {
  const text = captured.join("");
  captured = [];
  return text;
}

/** Parses every line written to stdout since the test started; a line that is not JSON fails. */
export function logRecords(): LogRecord[] {
  return parseLogLines(captured.join(""));
}

export function parseLogLines(text: string): LogRecord[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as LogRecord;
      } catch {
        throw new Error(`log line is not JSON: ${line}`);
      }
    });
}
