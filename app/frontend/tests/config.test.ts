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
