// Shared by the engine tests: the real Pulumi CLI, language host and provider plugins that
// scripts/build-pulumi-toolchain.sh builds, run the way users run them (`pulumi preview|up|destroy`
// in the project directory) on a throwaway copy of the project and a local file backend.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

export { filesContaining } from "../toolchain/support.mjs";

const run = promisify(execFile);
export const repoRoot = path.resolve(import.meta.dirname, "../..");
export const binDir = process.env.PULUMI_TOOLCHAIN_BIN;
assert.ok(binDir, "PULUMI_TOOLCHAIN_BIN must name the toolchain's bin directory (scripts/test-pulumi-engine.sh sets it)");
assert.ok(process.env.PULUMI_HOME, "PULUMI_HOME must name the Pulumi home with the built plugins (.ci/lib.sh sets it)");

export const lockedVersion = (name) =>
  JSON.parse(readFileSync(path.join(repoRoot, "package-lock.json"), "utf8")).packages[`node_modules/${name}`].version;

// Fake production secrets, as a user sets them with `pulumi config set --secret`. None may
// ever appear in plain text in the CLI's output, its logs or the state.
export const PRODUCTION_SECRETS = {
  imageRegistryPassword: "engine-registry-token-never-shown",
  databaseUrl: "postgresql://todo:engine-db-password-never-shown@db.example.com:5432/todo",
  openrouterApiKey: "engine-openrouter-key-never-shown",
};
export const PASSPHRASE = "engine-test-passphrase-never-shown";

// The files of a project as a user's checkout has them: everything (tracked or new) that the program
// reads (the apps are build contexts, the chart is rendered). node_modules is linked, not copied.
const PROJECT_PATHS = ["Pulumi.yaml", "Pulumi.local.yaml", "Pulumi.production.yaml", "index.ts", "config.ts",
  "components", "lib", "package.json", "package-lock.json", "tsconfig.json", "charts/todo-chatbot", "app/backend", "app/frontend"];

async function trackedFiles() {
  // Tracked and new files alike (not ignored ones): the working tree as a user has it.
  const { stdout } = await run("git", ["-C", repoRoot, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ...PROJECT_PATHS], { maxBuffer: 64 << 20 });
  return stdout.split("\0").filter(Boolean);
}

/**
 * A throwaway copy of the project with its own file backend, removed after the test.
 * Returns { dir, root, stateDir, env, pulumi(args, options) }.
 */
export async function projectCopy(t) {
  const root = mkdtempSync(path.join(tmpdir(), "pulumi-engine-test-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, "project");
  const stateDir = path.join(root, "state");
  mkdirSync(stateDir);
  for (const file of await trackedFiles()) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    cpSync(path.join(repoRoot, file), path.join(dir, file));
  }
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
  const env = {
    ...process.env,
    PATH: `${binDir}:${process.env.PATH}`, // the language host, found beside the CLI
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_IGNORE_AMBIENT_PLUGINS: "true", // plugins only as installed, by version, in PULUMI_HOME
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
  };
  const outputs = [];
  const pulumi = async (args, { allowFailure = false, timeout = 20 * 60_000 } = {}) => {
    const result = await run(path.join(binDir, "pulumi"), [...args, "--non-interactive"], { cwd: dir, env, maxBuffer: 256 << 20, timeout })
      .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
      .catch((error) => {
        if (error.code === undefined || typeof error.code !== "number") throw error;
        return { code: error.code, stdout: error.stdout, stderr: error.stderr };
      });
    outputs.push(result.stdout, result.stderr);
    if (!allowFailure && result.code !== 0) {
      assert.fail(`pulumi ${args.join(" ")} exited with ${result.code}:\n${result.stdout.slice(-6000)}\n${result.stderr.slice(-6000)}`);
    }
    return result;
  };
  return { root, dir, stateDir, env, pulumi, outputs };
}

/** A stack of the project copy, configured like a user's for this machine's cluster. */
export async function initStack(project, stack, { kubeconfig, settings = {}, secrets = {} }) {
  await project.pulumi(["stack", "init", stack]);
  for (const [key, value] of Object.entries({ kubeconfig, ...settings })) {
    if (value !== undefined) await project.pulumi(["config", "set", key, String(value), "--stack", stack]);
  }
  for (const [key, value] of Object.entries(secrets)) {
    await project.pulumi(["config", "set", "--secret", key, value, "--stack", stack]);
  }
}

/** The JSON document of `pulumi preview --json` (the engine prints it even when the preview fails). */
export function previewJson(result) {
  try {
    return JSON.parse(result.stdout);
  } catch {
    assert.fail(`pulumi preview --json printed no JSON:\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`);
  }
}

/** etcd + kube-apiserver on 127.0.0.1 (scripts/kube-apiserver-loopback.sh); returns its kubeconfig. */
export async function loopbackApiServer(t, contexts) {
  const dir = mkdtempSync(path.join(tmpdir(), "pulumi-engine-apiserver-"));
  const script = path.join(repoRoot, "scripts/kube-apiserver-loopback.sh");
  t.after(async () => {
    await run("bash", [script, "stop", dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  const { stdout } = await run("bash", [script, "start", dir, ...contexts], { timeout: 120_000 });
  return stdout.trim();
}

/**
 * The CI stand-in of kube-prometheus-stack's Helm repository (.ci/monitoring-standins.sh: this
 * machine cannot reach the real one) over HTTP on 127.0.0.1, for the setting
 * monitoringChartRepository; returns its URL.
 */
export async function monitoringChartRepository(t) {
  const dir = (await run("bash", [path.join(repoRoot, ".ci/monitoring-standins.sh"), "--repo-dir"])).stdout.trim();
  const server = createServer((request, response) => {
    const file = path.join(dir, path.basename(decodeURIComponent(new URL(request.url, "http://localhost").pathname)));
    createReadStream(file)
      .once("open", () => response.writeHead(200))
      .on("error", () => response.writeHead(404).end())
      .pipe(response);
  });
  await new Promise((listening) => server.listen(0, "127.0.0.1", listening));
  t.after(() => server.close());
  return `http://127.0.0.1:${server.address().port}`;
}

/** The resource type and name of a URN (urn:pulumi:STACK::PROJECT::PARENT$TYPE::NAME). */
export function urnParts(urn) {
  const [, , qualifiedType, ...name] = urn.split("::");
  return { type: qualifiedType.split("$").at(-1), name: name.join("::") };
}

/** The API server URL and token of a kubeconfig that scripts/kube-apiserver-loopback.sh wrote. */
function apiAccess(kubeconfig) {
  const text = readFileSync(kubeconfig, "utf8");
  return { server: text.match(/server: '([^']+)'/)[1], token: text.match(/token: '([^']+)'/)[1] };
}

/** A request to the loopback API server (self-signed certificate, loopback only). */
export async function apiRequest(kubeconfig, method, urlPath, body) {
  const { server, token } = apiAccess(kubeconfig);
  const { request } = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = request(`${server}/${urlPath}`, {
      method,
      rejectUnauthorized: false,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    }, (res) => {
      let data = "";
      res.on("data", (chunk) => (data += chunk));
      res.on("end", () => resolve({ status: res.statusCode, body: data ? JSON.parse(data) : {} }));
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The collection path of an object's kind, found through the API's own discovery documents. */
export async function collectionPath(kubeconfig, object) {
  const groupPath = object.apiVersion.includes("/") ? `apis/${object.apiVersion}` : `api/${object.apiVersion}`;
  const { status, body } = await apiRequest(kubeconfig, "GET", groupPath);
  assert.equal(status, 200, `the API server does not serve ${object.apiVersion}`);
  const resource = body.resources.find((r) => r.kind === object.kind && !r.name.includes("/"));
  assert.ok(resource, `the API server has no ${object.kind} in ${object.apiVersion}`);
  const namespace = resource.namespaced ? `namespaces/${object.metadata.namespace ?? "default"}/` : "";
  return `${groupPath}/${namespace}${resource.name}`;
}
