// Shared by the toolchain tests: the toolchain's CLI, and isolated Pulumi environments on a
// throwaway local file backend (nothing leaves the machine).
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation/index.js";

export const repoRoot = path.resolve(import.meta.dirname, "../..");
const lockfile = JSON.parse(readFileSync(path.join(repoRoot, "package-lock.json"), "utf8"));
export const sdkVersion = lockfile.packages["node_modules/@pulumi/pulumi"].version;
export const binDir = process.env.PULUMI_TOOLCHAIN_BIN;
assert.ok(binDir, "PULUMI_TOOLCHAIN_BIN must name the toolchain's bin directory (scripts/test-pulumi-toolchain.sh sets it)");
export const pulumiBinary = path.join(binDir, "pulumi");

// A value that must never appear in plain text in a stack file or the state.
export const SECRET_SENTINEL = "sentinel-7f3a9c-not-for-plain-text";

// isolatedEnvironment: a fresh PULUMI_HOME and file backend for one test, removed afterwards.
export function isolatedEnvironment(t) {
  const root = mkdtempSync(path.join(tmpdir(), "pulumi-toolchain-test-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const stateDir = path.join(root, "state");
  mkdirSync(stateDir);
  return {
    root,
    envVars: {
      PULUMI_HOME: path.join(root, "home"),
      PULUMI_BACKEND_URL: `file://${stateDir}`,
      PULUMI_CONFIG_PASSPHRASE: "toolchain-test-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    },
  };
}

// filesContaining: every file under dir whose bytes contain text.
export function filesContaining(dir, text) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => readFileSync(file).includes(text));
}

// inlineStack: a stack of an inline program on an isolated file backend, driven through the
// toolchain's CLI. The Automation API serves the program itself (pulumi ... --client=127.0.0.1:PORT),
// which is how the toolchain runs Node.js programs without a pulumi-language-nodejs binary.
// With `projectFiles` (paths relative to the repository), the work directory starts as a copy of
// them (e.g. this project's Pulumi.yaml and stack files) and the project is the one they name.
export async function inlineStack(t, stackName, program, { projectName = "toolchain-check", projectFiles = [] } = {}) {
  const { root, envVars } = isolatedEnvironment(t);
  const workDir = path.join(root, "project");
  mkdirSync(workDir);
  for (const file of projectFiles) copyFileSync(path.join(repoRoot, file), path.join(workDir, path.basename(file)));
  const pulumiCommand = await PulumiCommand.get({ root: path.dirname(binDir) });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName, program },
    { pulumiCommand, envVars, workDir },
  );
  return { stack, root, workDir };
}

