// The failures docs/TROUBLESHOOTING.md describes, produced on the CI cluster where it can produce
// them, each checked against the symptom text the doc quotes: when Kubernetes changes its words,
// this fails and the doc gets updated.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "../engine/support.mjs";
import { clusterEnv, kubectl, kubectlJson } from "./support.mjs";

const run = promisify(execFile);
const doc = readFileSync(path.join(repoRoot, "docs/TROUBLESHOOTING.md"), "utf8");
const NS = `troubleshooting-${Date.now() % 100000}`;
const RESTRICTED = { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } };
const CONTAINER_RESTRICTED = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };

/** kubectl create -f - with this object; resolves to { code, stderr }. */
function create(object) {
  return new Promise((resolve) => {
    const child = execFile(clusterEnv.CI_CLUSTER_KUBECTL, ["--kubeconfig", clusterEnv.KUBECONFIG, "create", "-f", "-"], (error, _stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stderr }));
    child.stdin.end(JSON.stringify(object));
  });
}

/** Polls `check` once a second; on timeout fails with `what` and, to diagnose it, what `explain` says. */
async function until(what, check, seconds = 90, explain = async () => "") {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.fail(`${what} did not happen within ${seconds} s${await explain().then((text) => (text ? `:\n${text}` : ""), () => "")}`);
}

test("the symptoms TROUBLESHOOTING.md quotes are the ones the cluster shows", async (t) => {
  assert.equal((await create({
    apiVersion: "v1", kind: "Namespace",
    metadata: { name: NS, labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" } },
  })).code, 0);
  t.after(() => kubectl("delete", "namespace", NS, "--wait=false"));

  await t.test("a pod that is not restricted-compliant is refused with the quoted PodSecurity message", async () => {
    const { code, stderr } = await create({
      apiVersion: "v1", kind: "Pod", metadata: { name: "debug", namespace: NS },
      spec: { containers: [{ name: "debug", image: clusterEnv.CI_CLUSTER_BUSYBOX_IMAGE }] },
    });
    assert.notEqual(code, 0);
    // The doc quotes `kubectl run`; `kubectl create -f` words the start differently.
    const quoted = doc.match(/^Error from server \(Forbidden\): (pods "debug" is forbidden: violates PodSecurity .*)$/m)?.[1];
    assert.ok(quoted, "the doc quotes the rejection");
    assert.ok(stderr.trim().endsWith(quoted), `kubectl said: ${stderr}`);
  });

  await t.test("an image that is not in the node's runtime, with pull policy Never, is ErrImageNeverPull with the quoted event", async () => {
    const image = "todo-chatbot-backend:0000000000000000";
    assert.equal((await create({
      apiVersion: "v1", kind: "Pod", metadata: { name: "never-pulled", namespace: NS },
      spec: {
        securityContext: RESTRICTED,
        containers: [{ name: "app", image, imagePullPolicy: "Never", securityContext: CONTAINER_RESTRICTED,
          resources: { limits: { cpu: "50m", memory: "32Mi", "ephemeral-storage": "16Mi" } } }],
      },
    })).code, 0);
    const reason = await until("ErrImageNeverPull", async () =>
      (await kubectlJson("get", "pod", "-n", NS, "never-pulled")).status.containerStatuses?.[0]?.state?.waiting?.reason === "ErrImageNeverPull");
    assert.ok(reason);
    const events = (await kubectlJson("get", "events", "-n", NS, "--field-selector", "involvedObject.name=never-pulled")).items.map((e) => e.message);
    const message = `Container image "${image}" is not present with pull policy of Never`;
    assert.ok(events.includes(message), `events: ${events.join(" | ")}`);
    assert.match(doc, /Container image "todo-chatbot-backend:[0-9a-f]{16}" is not present with pull policy of Never/);
    assert.match(doc, /ErrImageNeverPull/);
  });

  await t.test("a backend whose databaseUrl reaches no database crash-loops, and its log ends with the quoted line", async () => {
    // The backend image as the program builds it, pushed to the cluster's registry.
    const image = `${clusterEnv.CI_REGISTRY}/troubleshooting/todo-chatbot-backend:${Date.now()}`;
    const docker = (...args) => run("/usr/bin/docker", args, { maxBuffer: 64 << 20, env: { ...process.env, DOCKER_BUILDKIT: "1" } });
    const built = (await docker("build", "-q", path.join(repoRoot, "app/backend"))).stdout.trim();
    await docker("tag", built, image);
    const login = execFile("/usr/bin/docker", ["login", "--username", clusterEnv.CI_REGISTRY_USER, "--password-stdin", clusterEnv.CI_REGISTRY]);
    login.stdin.end(clusterEnv.CI_REGISTRY_PASSWORD);
    await new Promise((done, fail) => login.on("exit", (code) => (code === 0 ? done() : fail(new Error(`docker login exited ${code}`)))));
    await docker("push", "-q", image);
    t.after(() => docker("rmi", image).catch(() => {}));

    assert.equal((await create({
      apiVersion: "v1", kind: "Pod", metadata: { name: "bad-database-url", namespace: NS },
      spec: {
        securityContext: RESTRICTED,
        containers: [{
          name: "migrate", image, args: ["-m", "app.prestart"], securityContext: CONTAINER_RESTRICTED,
          env: [
            // Nothing listens on port 9 of the pod itself: the database is unreachable.
            { name: "DATABASE_URL", value: "postgresql://todo:wrong@127.0.0.1:9/todo" },
            { name: "BETTER_AUTH_SECRET", value: "x".repeat(48) },
            { name: "PRESTART_WAIT_SECONDS", value: "2" },
          ],
          resources: { limits: { cpu: "200m", memory: "256Mi", "ephemeral-storage": "64Mi" } },
        }],
      },
    })).code, 0);
    await until("CrashLoopBackOff", async () =>
      (await kubectlJson("get", "pod", "-n", NS, "bad-database-url")).status.containerStatuses?.[0]?.state?.waiting?.reason === "CrashLoopBackOff",
    240, async () => {
      const pod = await kubectlJson("get", "pod", "-n", NS, "bad-database-url");
      const events = await kubectl("get", "events", "-n", NS, "--field-selector", "involvedObject.name=bad-database-url");
      return `phase ${pod.status.phase}, container status ${JSON.stringify(pod.status.containerStatuses ?? [])}\n${events}`;
    });
    const last = JSON.parse((await kubectl("logs", "-n", NS, "bad-database-url", "--previous")).trim().split("\n").at(-1));
    assert.equal(last.message, "database unreachable, giving up");
    assert.match(doc, /"message": "database unreachable, giving up"/);
    assert.match(doc, /CrashLoopBackOff/);
  });

  await t.test("a claim on a StorageClass the cluster lacks stays Pending with the quoted reason", async () => {
    assert.equal((await create({
      apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "data-postgresql-0", namespace: NS },
      spec: { storageClassName: "does-not-exist", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    })).code, 0);
    const events = await until("the claim's event", async () => {
      const messages = (await kubectlJson("get", "events", "-n", NS, "--field-selector", "involvedObject.name=data-postgresql-0")).items.map((e) => e.message);
      return messages.length > 0 && messages;
    });
    assert.equal((await kubectlJson("get", "pvc", "-n", NS, "data-postgresql-0")).status.phase, "Pending");
    assert.ok(events.some((m) => m.includes('storageclass.storage.k8s.io "does-not-exist" not found')), `events: ${events.join(" | ")}`);
    assert.match(doc, /storageclass\.storage\.k8s\.io "NAME" not found/);
  });
});
