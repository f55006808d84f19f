// Shared by the deploy tests: the CI cluster's kubectl, the stack that deploys the local stack's
// settings to it, and a one-shot pod that probes which connections the NetworkPolicies allow.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { projectCopy, repoRoot } from "../engine/support.mjs";

const run = promisify(execFile);
export const STACK = "ci";
export const NAMESPACE = "todo-chatbot";
export const APP_URL = "http://localhost:30000"; // the local stack's publicUrl: Better Auth checks the origin

/** scripts/ci-cluster.sh env: KUBECONFIG, CI_CLUSTER_KUBECTL, CI_REGISTRY, CI_REGISTRY_USER, CI_REGISTRY_PASSWORD, ... */
export const clusterEnv = Object.fromEntries(
  (await run("bash", [path.join(repoRoot, "scripts/ci-cluster.sh"), "env"])).stdout.trim().split("\n").map((line) => {
    const at = line.indexOf("=");
    return [line.slice(0, at), line.slice(at + 1)];
  }),
);

export async function kubectl(...args) {
  const { stdout } = await run(clusterEnv.CI_CLUSTER_KUBECTL, ["--kubeconfig", clusterEnv.KUBECONFIG, ...args], { maxBuffer: 64 << 20 });
  return stdout;
}
export const kubectlJson = async (...args) => JSON.parse(await kubectl(...args, "-o", "json"));

/** The settings that make `local` deploy to this cluster, and nothing else: where it is, how images reach it. */
export const CI_SETTINGS = {
  kubeconfig: clusterEnv.KUBECONFIG,
  kubeContext: "ci-cluster",
  imageRegistry: `${clusterEnv.CI_REGISTRY}/todo`,
  imageRegistryUsername: clusterEnv.CI_REGISTRY_USER,
};

/**
 * A project copy with the stack `ci`: the committed `local` settings plus CI_SETTINGS and
 * `extraSettings`. Destroyed before the copy is removed (after-hooks run in registration order).
 */
export async function ciProject(t, extraSettings = {}) {
  let project;
  t.after(() => project?.pulumi(["destroy", "--stack", STACK, "--yes"], { allowFailure: true }));
  project = await projectCopy(t);
  await project.pulumi(["stack", "init", "local"]); // the committed Pulumi.local.yaml, as users have it
  await project.pulumi(["stack", "init", STACK, "--copy-config-from", "local"]);
  for (const [key, value] of Object.entries({ ...CI_SETTINGS, ...extraSettings })) {
    await project.pulumi(["config", "set", key, String(value), "--stack", STACK]);
  }
  await project.pulumi(["config", "set", "--secret", "imageRegistryPassword", clusterEnv.CI_REGISTRY_PASSWORD, "--stack", STACK]);
  return project;
}

const PROBE = "import socket,sys\nfor t in sys.argv[1:]:\n h,p=t.rsplit(':',1)\n try:\n  socket.create_connection((h,int(p)),3).close(); print(t,'ok')\n except OSError: print(t,'blocked')";

/** A one-shot restricted pod with these labels that tries TCP connections; "ok" or "blocked" per target. */
export async function probeFrom(namespace, labels, image, targets) {
  const name = `netprobe-${Date.now() % 100000}`;
  const pod = {
    apiVersion: "v1", kind: "Pod",
    metadata: { name, namespace, labels },
    spec: {
      restartPolicy: "Never",
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
      containers: [{
        name: "probe", image, imagePullPolicy: "IfNotPresent", command: ["python3", "-c", PROBE, ...targets],
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
        resources: { requests: { cpu: "10m", memory: "32Mi", "ephemeral-storage": "16Mi" }, limits: { cpu: "100m", memory: "64Mi", "ephemeral-storage": "32Mi" } },
      }],
    },
  };
  const child = execFile(clusterEnv.CI_CLUSTER_KUBECTL, ["--kubeconfig", clusterEnv.KUBECONFIG, "create", "-f", "-"]);
  child.stdin.end(JSON.stringify(pod));
  await new Promise((done, fail) => child.on("exit", (code) => (code === 0 ? done() : fail(new Error(`kubectl create ${name} exited ${code}`)))));
  await kubectl("wait", "-n", namespace, `pod/${name}`, "--for=jsonpath={.status.phase}=Succeeded", "--timeout=120s");
  const lines = (await kubectl("logs", "-n", namespace, name)).trim().split("\n");
  await kubectl("delete", "-n", namespace, "pod", name, "--wait=false");
  return Object.fromEntries(lines.map((l) => l.split(" ")));
}

/** The HTTP status of a request, or the error code when none came back. */
export async function fetchStatus(url, init) {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    return error.cause?.code ?? error.name;
  }
}

assert.ok(clusterEnv.KUBECONFIG, "scripts/ci-cluster.sh env printed no KUBECONFIG: is the cluster up?");

/** Signs a new user up through the app (Better Auth checks the Origin); returns the session cookie. */
export async function signedUpUser(prefix) {
  const response = await fetch(`${APP_URL}/api/auth/sign-up/email`, {
    method: "POST", headers: { "content-type": "application/json", origin: APP_URL },
    body: JSON.stringify({ email: `${prefix}-${Date.now()}@example.com`, password: `${prefix}-password-1`, name: prefix }),
  });
  assert.equal(response.status, 200, await response.text());
  return response.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}
