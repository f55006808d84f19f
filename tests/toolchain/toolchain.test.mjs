// Checks of the Pulumi toolchain that scripts/build-pulumi-toolchain.sh builds, run with the real
// CLI and the repository's @pulumi/pulumi SDK on a local file backend. Nothing here leaves the
// machine: the Automation API talks to the CLI over 127.0.0.1, the update check and plugin
// downloads are switched off. Run by scripts/test-pulumi-toolchain.sh (node's test runner).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  SECRET_SENTINEL,
  filesContaining,
  inlineStack,
  isolatedEnvironment,
  pulumiBinary,
  sdkVersion,
} from "./support.mjs";

class Box extends pulumi.ComponentResource {
  constructor(name, opts) {
    super("toolchaincheck:index:Box", name, {}, opts);
    this.label = pulumi.output(`box-${name}`);
    this.registerOutputs({ label: this.label });
  }
}

test("the CLI reports the version package-lock.json pins for @pulumi/pulumi", () => {
  const reported = execFileSync(pulumiBinary, ["version"], { encoding: "utf8" }).trim();
  assert.equal(reported, `v${sdkVersion}`);
});

test("pulumi config set --secret stores only ciphertext in the stack file and decrypts it back", (t) => {
  const { root, envVars } = isolatedEnvironment(t);
  const projectDir = path.join(root, "project");
  mkdirSync(projectDir);
  writeFileSync(path.join(projectDir, "Pulumi.yaml"), "name: toolchain-check\nruntime: nodejs\n");
  const cli = (...args) =>
    execFileSync(pulumiBinary, [...args, "--non-interactive"], {
      cwd: projectDir,
      env: { ...process.env, ...envVars },
      encoding: "utf8",
    });

  cli("stack", "init", "production");
  cli("config", "set", "--secret", "databasePassword", SECRET_SENTINEL);

  const stackFile = readFileSync(path.join(projectDir, "Pulumi.production.yaml"), "utf8");
  assert.match(stackFile, /toolchain-check:databasePassword:\n\s+secure: v1:\S+/);
  assert.ok(!stackFile.includes(SECRET_SENTINEL), "the secret is in plain text in the stack file");
  assert.equal(cli("config", "get", "databasePassword").trim(), SECRET_SENTINEL);
});

test("an inline program previews, updates and destroys through the Automation API's own language runtime (--client)", async (t) => {
  const { stack, root } = await inlineStack(t, "cycle", async () => {
    const box = new Box("one");
    return { label: box.label, token: pulumi.secret(new pulumi.Config().require("token")) };
  });
  await stack.setConfig("token", { value: SECRET_SENTINEL, secret: true });

  const preview = await stack.preview();
  assert.deepEqual(preview.changeSummary, { create: 2 });

  const up = await stack.up();
  assert.deepEqual(up.summary.resourceChanges, { create: 2 });
  assert.deepEqual(up.outputs.label, { value: "box-one", secret: false });
  assert.deepEqual(up.outputs.token, { value: SECRET_SENTINEL, secret: true });
  const resourceTypes = (await stack.exportStack()).deployment.resources.map((resource) => resource.type);
  assert.deepEqual(resourceTypes.sort(), ["pulumi:pulumi:Stack", "toolchaincheck:index:Box"]);
  assert.deepEqual(filesContaining(root, SECRET_SENTINEL), [], "the secret is in plain text in a stack or state file");

  const destroy = await stack.destroy();
  assert.deepEqual(destroy.summary.resourceChanges, { delete: 2 });
  assert.deepEqual((await stack.exportStack()).deployment.resources ?? [], []);
});

test("a provider plugin missing from the toolchain is an error, never a download attempt", async (t) => {
  const { stack } = await inlineStack(t, "missing-plugin", async () => {
    const thing = new pulumi.CustomResource("toolchainabsent:index:Thing", "thing", {}, { version: "1.2.3" });
    return { thing: thing.urn };
  });
  const output = [];
  await assert.rejects(stack.preview({ onOutput: (text) => output.push(text) }), (error) => {
    output.push(error.message);
    return true;
  });
  const printed = output.join("");
  assert.match(printed, /no resource plugin 'pulumi-resource-toolchainabsent' found in the workspace at version v1\.2\.3/);
  assert.doesNotMatch(printed, /download/i);
});
