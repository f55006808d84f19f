// This project's configuration through the real engine: Pulumi.yaml's declared settings and
// defaults, the real stack files, secrets set with the real CLI, and config.ts's validation
// failing a real preview. The program under test is config.ts's loadConfig() alone, run as an
// inline program: seconds, and no plugin involved. The whole program, with the language host and
// the plugins, runs in tests/engine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { filesContaining, inlineStack, repoRoot } from "./support.mjs";

const require = createRequire(import.meta.url);
require("ts-node").register({ transpileOnly: true, project: path.join(repoRoot, "tsconfig.json") });
const { loadConfig } = require(path.join(repoRoot, "config.ts"));

const PROJECT_FILES = ["Pulumi.yaml", "Pulumi.local.yaml", "Pulumi.production.yaml"];
const PRODUCTION_SECRETS = {
  imageRegistryPassword: "engine-registry-token-not-for-plain-text",
  databaseUrl: "postgresql://todo:engine-db-password-not-for-plain-text@db.example.com:5432/todo",
  openrouterApiKey: "engine-openrouter-key-not-for-plain-text",
};

// The settings the program derives, as outputs (none of them secret). A ConfigError is reported
// as an error diagnostic, which fails the update the same way; thrown from an inline program it
// would also surface as an unhandled rejection in this process after the update has ended.
async function configProgram() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error?.constructor?.name !== "ConfigError") throw error;
    pulumi.log.error(error.message);
    return {};
  }
  return {
    namespace: config.namespace,
    frontendReplicas: config.frontend.replicas,
    serviceType: config.frontend.serviceType,
    database: config.database.mode,
    assistant: config.assistant.mode,
    publicUrl: config.publicUrl,
    registry: config.images.registry?.server ?? "",
  };
}

async function projectStack(t, stackName) {
  const result = await inlineStack(t, stackName, configProgram, { projectName: "todo-chatbot", projectFiles: PROJECT_FILES });
  // The program checks that its kubeconfig exists; CI has no cluster, so give it an empty one.
  const kubeconfig = path.join(result.root, "kubeconfig");
  writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\n");
  await result.stack.setConfig("kubeconfig", { value: kubeconfig });
  return result;
}

async function previewError(stack) {
  const output = [];
  await assert.rejects(stack.preview({ onOutput: (text) => output.push(text) }), (error) => {
    output.push(error.message);
    return true;
  });
  return output.join("");
}

test("production: secrets set with the CLI are ciphertext in the stack file, and the engine hands the program the stack's settings", async (t) => {
  const { stack, root, workDir } = await projectStack(t, "production");
  for (const [key, value] of Object.entries(PRODUCTION_SECRETS)) await stack.setConfig(key, { value, secret: true });

  const stackFile = readFileSync(path.join(workDir, "Pulumi.production.yaml"), "utf8");
  for (const [key, value] of Object.entries(PRODUCTION_SECRETS)) {
    assert.match(stackFile, new RegExp(`todo-chatbot:${key}:\\n\\s+secure: v1:\\S+`), `${key} is stored encrypted`);
    assert.ok(!stackFile.includes(value), `${key} is in plain text in the stack file`);
  }
  assert.match(stackFile, /todo-chatbot:ingressHost: todo\.example\.com/, "the committed settings are kept");

  const up = await stack.up();
  const outputs = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value]));
  assert.deepEqual(outputs, {
    namespace: "todo-chatbot", // a Pulumi.yaml default, applied by the engine
    frontendReplicas: 2,
    serviceType: "ClusterIP",
    database: "external",
    assistant: "online",
    publicUrl: "https://todo.example.com",
    registry: "ghcr.io/example-org/todo-chatbot",
  });
  for (const value of Object.values(PRODUCTION_SECRETS)) {
    assert.deepEqual(filesContaining(root, value), [], "a secret is in plain text in a stack or state file");
  }
});

test("production: a missing secret fails the real preview with the key and the command that fixes it", async (t) => {
  const { stack } = await projectStack(t, "production");
  await stack.setConfig("imageRegistryPassword", { value: PRODUCTION_SECRETS.imageRegistryPassword, secret: true });
  await stack.setConfig("openrouterApiKey", { value: PRODUCTION_SECRETS.openrouterApiKey, secret: true });
  const printed = await previewError(stack);
  assert.match(printed, /databaseUrl is required when database is "external"\. Fix: pulumi config set --secret databaseUrl 'postgresql:\/\/USER:PASSWORD@HOST:5432\/DB' --stack production/);
});

test("local: a bad value fails the real preview through config.ts; a wrong type through Pulumi.yaml's schema", async (t) => {
  const { stack } = await projectStack(t, "local");
  await stack.setConfig("frontendNodePort", { value: "80" });
  assert.match(await previewError(stack), /frontendNodePort must be a whole number from 30000 to 32767, got "80"\. Fix: pulumi config set frontendNodePort 30000 --stack local/);

  await stack.setConfig("frontendNodePort", { value: "thirty-thousand" });
  assert.match(await previewError(stack), /frontendNodePort.*integer/, "the engine checks the declared type");
});

test("local: the committed stack file is enough: no setting or secret has to be added", async (t) => {
  const { stack } = await projectStack(t, "local");
  const up = await stack.up();
  assert.equal(up.outputs.database.value, "in-cluster");
  assert.equal(up.outputs.serviceType.value, "NodePort");
  assert.equal(up.outputs.publicUrl.value, "http://localhost:30000");
  assert.equal(up.outputs.registry.value, "");
});
