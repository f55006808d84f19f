import { readFileSync, statSync } from "node:fs";
import path from "node:path";

export type Environment = Record<string, string | undefined>;

// Read once per process and directory, like environment variables: a changed Secret reaches the
// app when its pods are replaced, in step with the backend (which reads its settings at start).
const globalForSecrets = globalThis as typeof globalThis & {
  todoChatbotSecretFiles?: Map<string, string | undefined>;
};

function readSecretFile(file: string, problems: string[]): string | undefined {
  const cache = (globalForSecrets.todoChatbotSecretFiles ??= new Map());
  if (cache.has(file)) return cache.get(file);
  let value: string | undefined;
  try {
    // A file's final newline (`kubectl create secret --from-file`) is not part of the value.
    value = readFileSync(file, "utf8").trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Absent: the key is just not set. Unreadable (EACCES: the pod's fsGroup is not the file's group): say so.
    if (code !== "ENOENT") {
      problems.push(`${file} cannot be read (${code ?? (error as Error).message})`);
      return undefined;
    }
  }
  cache.set(file, value);
  return value;
}

/**
 * `env` completed from SECRETS_DIR: each of `keys` that `env` leaves unset or empty is read from
 * the file of that name in the directory (how the Helm chart delivers the Secret: a read-only
 * volume, so the values are not in the process environment). An environment variable wins over a
 * file, as in the backend. Problems (SECRETS_DIR not a directory, a file that cannot be read) are
 * appended to `problems`.
 */
export function withSecretFiles(env: Environment, keys: readonly string[], problems: string[]): Environment {
  const directory = env.SECRETS_DIR?.trim();
  if (!directory) return env;
  let isDirectory = false;
  try {
    isDirectory = statSync(directory).isDirectory();
  } catch {
    // Reported below like a file in its place.
  }
  if (!isDirectory) {
    problems.push(`SECRETS_DIR ${directory} is not a directory`);
    return env;
  }
  const completed = { ...env };
  for (const key of keys) {
    if (!completed[key]) completed[key] = readSecretFile(path.join(directory, key), problems);
  }
  return completed;
}
