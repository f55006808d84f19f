import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { ConfigError, readServerConfig } from "@/lib/server/config";

const valid = {
  DATABASE_URL: "postgresql://todo:todo@db:5432/todo",
  BETTER_AUTH_SECRET: "x".repeat(32),
  BETTER_AUTH_URL: "http://localhost:3000",
  BACKEND_URL: "http://todo-backend:8000/",
};

describe("readServerConfig", () => {
  it("reads a complete environment and drops the trailing slash of URLs", () => {
    expect(readServerConfig(valid)).toEqual({
      databaseUrl: valid.DATABASE_URL,
      betterAuthSecret: valid.BETTER_AUTH_SECRET,
      betterAuthUrl: "http://localhost:3000",
      backendUrl: "http://todo-backend:8000",
    });
  });

  it("names every missing variable in one error", () => {
    expect(() => readServerConfig({})).toThrow(ConfigError);
    expect(() => readServerConfig({})).toThrow(
      "Invalid frontend configuration: DATABASE_URL is not set; BETTER_AUTH_URL is not set; BACKEND_URL is not set; BETTER_AUTH_SECRET is not set.",
    );
  });

  it("treats a blank value as missing", () => {
    expect(() => readServerConfig({ ...valid, BACKEND_URL: "  " })).toThrow("BACKEND_URL is not set");
  });

  it("refuses a secret shorter than 32 characters", () => {
    expect(() => readServerConfig({ ...valid, BETTER_AUTH_SECRET: "x".repeat(31) })).toThrow(
      "BETTER_AUTH_SECRET must be at least 32 characters long",
    );
  });

  it("refuses URLs that do not parse or use the wrong scheme", () => {
    expect(() => readServerConfig({ ...valid, BACKEND_URL: "todo-backend:8000" })).toThrow(
      "BACKEND_URL must start with http:// or https://",
    );
    expect(() => readServerConfig({ ...valid, BETTER_AUTH_URL: "not a url" })).toThrow("BETTER_AUTH_URL is not a valid URL");
    expect(() => readServerConfig({ ...valid, DATABASE_URL: "mysql://db/todo" })).toThrow(
      "DATABASE_URL must start with postgresql:// or postgres://",
    );
  });
});

/** `files` laid out as the kubelet mounts a Secret volume: each key a symlink into a timestamped `..data` directory. */
function mountSecret(files: Record<string, string>): string {
  const directory = mkdtempSync(path.join(tmpdir(), "todo-secrets-"));
  const payload = "..2026_01_01_00_00_00.000000000";
  mkdirSync(path.join(directory, payload));
  for (const [key, value] of Object.entries(files)) writeFileSync(path.join(directory, payload, key), value);
  symlinkSync(payload, path.join(directory, "..data"));
  for (const key of Object.keys(files)) symlinkSync(`..data/${key}`, path.join(directory, key));
  return directory;
}

describe("readServerConfig with SECRETS_DIR (the chart's read-only Secret volume)", () => {
  const nonSecret = { BETTER_AUTH_URL: valid.BETTER_AUTH_URL, BACKEND_URL: valid.BACKEND_URL };

  it("reads the secrets from the files named after them, without their final newline", () => {
    const SECRETS_DIR = mountSecret({ DATABASE_URL: `${valid.DATABASE_URL}\n`, BETTER_AUTH_SECRET: valid.BETTER_AUTH_SECRET });
    expect(readServerConfig({ ...nonSecret, SECRETS_DIR })).toMatchObject({
      databaseUrl: valid.DATABASE_URL,
      betterAuthSecret: valid.BETTER_AUTH_SECRET,
    });
  });

  it("lets an environment variable win over a file, as the backend does", () => {
    const SECRETS_DIR = mountSecret({ DATABASE_URL: "postgresql://file:file@db:5432/todo", BETTER_AUTH_SECRET: "f".repeat(32) });
    expect(readServerConfig({ ...nonSecret, SECRETS_DIR, DATABASE_URL: valid.DATABASE_URL })).toMatchObject({
      databaseUrl: valid.DATABASE_URL,
      betterAuthSecret: "f".repeat(32),
    });
  });

  it("validates file values like environment values and names a missing one", () => {
    const SECRETS_DIR = mountSecret({ BETTER_AUTH_SECRET: "short" });
    expect(() => readServerConfig({ ...nonSecret, SECRETS_DIR })).toThrow(
      "Invalid frontend configuration: DATABASE_URL is not set; BETTER_AUTH_SECRET must be at least 32 characters long.",
    );
  });

  it("refuses a SECRETS_DIR that is not a directory", () => {
    const missing = path.join(tmpdir(), "todo-secrets-that-do-not-exist");
    expect(() => readServerConfig({ ...valid, SECRETS_DIR: missing })).toThrow(`SECRETS_DIR ${missing} is not a directory`);
  });
});
