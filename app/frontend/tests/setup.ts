import { cleanup } from "@testing-library/react";
import { afterAll, afterEach, beforeEach } from "vitest";

import { captureStdout, releaseStdout, takeStdout } from "./support/logs";

// The server code's JSON log lines go to stdout: keep them per test, print them only on failure.
captureStdout();

beforeEach(() => {
  takeStdout();
});

afterEach(({ task }) => {
  const output = takeStdout();
  if (task.result?.state === "fail" && output) {
    releaseStdout();
    process.stdout.write(`--- stdout of "${task.name}":\n${output}`);
    captureStdout();
  }
});

afterAll(() => {
  releaseStdout();
});

// Testing Library unmounts automatically only when the runner exposes globals; ours does not.
afterEach(() => {
  cleanup();
});
