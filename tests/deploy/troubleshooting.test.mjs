// The failures docs/TROUBLESHOOTING.md describes, produced on the CI cluster where it can produce
// them, each checked against the symptom text the doc quotes: when Kubernetes changes its words,
// this fails and the doc gets updated.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../engine/support.mjs";
import { clusterEnv, kubectl, kubectlJson } from "./support.mjs";

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

async function until(what, check, seconds = 90) {
  for (let i = 0; i < seconds; i++) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.fail(`${what} did not happen within ${seconds} s`);
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
