import { describe, expect, it } from "vitest";

import { toApiError } from "@/lib/api-client";

describe("toApiError", () => {
  it("uses the message of the frontend's own error bodies", () => {
    const error = toApiError(503, { error: "backend_unavailable", message: "The task service is unreachable." });
    expect(error.message).toBe("The task service is unreachable.");
    expect(error.status).toBe(503);
  });

  it("uses a plain FastAPI detail string", () => {
    expect(toApiError(404, { detail: "Task not found" }).message).toBe("Task not found");
  });

  it("maps FastAPI validation errors on body fields to those fields", () => {
    const error = toApiError(422, {
      detail: [
        { loc: ["body", "title"], msg: "String should have at least 1 character" },
        { loc: ["body", "title"], msg: "a second problem with the title" },
        { loc: ["body", "description"], msg: "String should have at most 2000 characters" },
      ],
    });
    expect(error.fieldErrors).toEqual({
      title: "String should have at least 1 character",
      description: "String should have at most 2000 characters",
    });
    expect(error.message).toBe("Some fields need attention.");
  });

  it("reports validation errors outside the body as a message", () => {
    const error = toApiError(422, { detail: [{ loc: ["query", "status"], msg: "Input should be 'all', 'pending' or 'completed'" }] });
    expect(error.fieldErrors).toEqual({});
    expect(error.message).toBe("Input should be 'all', 'pending' or 'completed'");
  });

  it("turns 401 into a sign-in prompt", () => {
    const error = toApiError(401, { error: "unauthorized", message: "You are not signed in" });
    expect(error.isUnauthorized).toBe(true);
    expect(error.message).toBe("Your session has expired. Sign in again.");
  });

  it("falls back to the status for bodies it does not know", () => {
    expect(toApiError(418, "<html>teapot</html>").message).toBe("The request failed (HTTP 418).");
    expect(toApiError(500, null).message).toBe("The request failed (HTTP 500).");
  });
});
