// The user's workflow for real, on the CI cluster (scripts/ci-cluster.sh): `pulumi up` of a stack
// that differs from `local` only where this cluster must (kubeconfig and context, images pushed to
// the cluster's registry on 127.0.0.1), the app used in a browser through the NodePort, the
// NetworkPolicies probed, PostgreSQL's pod deleted, a no-op up, a one-line backend change rolled
// out under a request loop, `pulumi destroy`, and a fresh up afterwards.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { appendFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import commands from "../engine/commands.json" with { type: "json" };
import { previewJson, repoRoot, urnParts } from "../engine/support.mjs";
import { APP_URL, CI_SETTINGS, NAMESPACE, STACK, ciProject, clusterEnv, fetchStatus, kubectl, kubectlJson, probeFrom, signedUpUser } from "./support.mjs";

const run = promisify(execFile);

async function stackConfig(project, stack) {
  return JSON.parse((await project.pulumi(["config", "--json", "--stack", stack])).stdout);
}

/** A signed-in user's GET /api/tasks through the NodePort every 50 ms (bounded), counted until stopped. */
function requestLoop(cookie) {
  let done = false;
  const counts = { ok: 0, failed: 0, failures: {}, recent: [] };
  const loop = (async () => {
    for (let i = 0; !done && i < 20_000; i++) {
      const status = await fetchStatus(`${APP_URL}/api/tasks`, { headers: { cookie } });
      counts.recent = [...counts.recent.slice(-99), status];
      if (status === 200) counts.ok++;
      else { counts.failed++; counts.failures[status] = (counts.failures[status] ?? 0) + 1; }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return { counts, stop: async () => { done = true; await loop; } };
}

async function e2e(artifacts) {
  await run("npm", ["test", "--silent"], {
    cwd: path.join(repoRoot, "app/e2e"),
    env: { ...process.env, E2E_BASE_URL: APP_URL, E2E_ARTIFACTS_DIR: path.join(repoRoot, "artifacts", artifacts) },
    timeout: 10 * 60_000,
  });
}

test("the local stack, deployed for real to the CI cluster and used through the NodePort, survives its day-to-day operations and is destroyed cleanly", async (t) => {
  const project = await ciProject(t);

  await t.test("the CI stack differs from local only in kubeconfig, context and image delivery", async () => {
    const local = await stackConfig(project, "local");
    const ci = await stackConfig(project, STACK);
    const differing = Object.keys({ ...local, ...ci }).filter((key) => JSON.stringify(local[key]) !== JSON.stringify(ci[key])).sort();
    assert.deepEqual(differing, ["todo-chatbot:imageRegistry", "todo-chatbot:imageRegistryPassword", "todo-chatbot:imageRegistryUsername", "todo-chatbot:kubeContext", "todo-chatbot:kubeconfig"]);
  });

  await project.pulumi(["up", "--stack", STACK, ...commands.up]);
  const outputs = JSON.parse((await project.pulumi(["stack", "output", "--json", "--stack", STACK])).stdout);

  await t.test("every pod is Ready under Pod Security restricted, migrations ran, the frontend answers on 127.0.0.1", async () => {
    const ns = await kubectlJson("get", "namespace", NAMESPACE);
    assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    const pods = (await kubectlJson("get", "pods", "-n", NAMESPACE)).items;
    assert.ok(pods.length >= 3, `pods: ${pods.map((p) => p.metadata.name)}`);
    for (const pod of pods) {
      assert.ok(pod.status.conditions.some((c) => c.type === "Ready" && c.status === "True"), `${pod.metadata.name} is not Ready`);
    }
    const backend = pods.find((p) => p.metadata.labels["app.kubernetes.io/component"] === "backend");
    const migrate = backend.status.initContainerStatuses.find((c) => c.name === "migrate");
    assert.equal(migrate.state.terminated?.exitCode, 0, "the migrate init container completed");
    assert.equal(await fetchStatus("http://127.0.0.1:30000/api/ready"), 200);
  });

  await t.test("each running container's image is the one this update built and pushed", async () => {
    const pods = (await kubectlJson("get", "pods", "-n", NAMESPACE)).items;
    for (const app of ["frontend", "backend"]) {
      const ref = outputs[`${app}Image`];
      assert.match(ref, new RegExp(`^${CI_SETTINGS.imageRegistry}/todo-chatbot-${app}:[0-9a-f]{16}@sha256:[0-9a-f]{64}$`));
      const digest = ref.split("@")[1];
      const statuses = pods.filter((p) => p.metadata.labels["app.kubernetes.io/component"] === app)
        .flatMap((p) => [...p.status.containerStatuses, ...(p.status.initContainerStatuses ?? [])]);
      assert.ok(statuses.length > 0);
      for (const status of statuses) assert.ok(status.imageID.endsWith(`@${digest}`), `${status.name} runs ${status.imageID}, not ${digest}`);
    }
  });

  await t.test("the browser test passes against the app in the cluster", () => e2e("cluster-e2e"));

  await t.test("NetworkPolicies: only the app's own pods reach the backend and PostgreSQL", async () => {
    const targets = ["todo-chatbot-backend:8000", "postgresql:5432"];
    const image = outputs.backendImage; // has python3; any image would do
    const outsider = await probeFrom(NAMESPACE, {}, image, targets);
    assert.deepEqual(outsider, { "todo-chatbot-backend:8000": "blocked", "postgresql:5432": "blocked" });
    const frontendLabels = (await kubectlJson("get", "deployment", "-n", NAMESPACE, "todo-chatbot-frontend")).spec.selector.matchLabels;
    const asFrontend = await probeFrom(NAMESPACE, frontendLabels, image, targets);
    assert.deepEqual(asFrontend, { "todo-chatbot-backend:8000": "ok", "postgresql:5432": "ok" }, "the frontend's labels are allowed (control)");
  });

  await t.test("PostgreSQL's pod comes back after kubectl delete pod with its data, and the app recovers by itself", async () => {
    const cookie = await signedUpUser("restart");
    const title = `kept across a database restart ${Date.now()}`;
    const created = await fetch(`${APP_URL}/api/tasks`, {
      method: "POST", headers: { cookie, origin: APP_URL, "content-type": "application/json" }, body: JSON.stringify({ title }),
    });
    assert.equal(created.status, 201, await created.text());
    await kubectl("delete", "pod", "-n", NAMESPACE, "postgresql-0", "--wait=true");
    await kubectl("wait", "-n", NAMESPACE, "pod/postgresql-0", "--for=condition=Ready", "--timeout=180s");
    // No manual step: the app's requests succeed again by themselves, and the task is there.
    let titles = [];
    for (let i = 0; i < 60 && !titles.includes(title); i++) {
      const response = await fetch(`${APP_URL}/api/tasks`, { headers: { cookie }, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
      if (response?.status === 200) titles = (await response.json()).items.map((task) => task.title);
      else await new Promise((r) => setTimeout(r, 2000));
    }
    assert.ok(titles.includes(title), `the task created before the restart is listed after it (listed: ${titles.join(", ")})`);
    await e2e("cluster-e2e-after-db-restart");
  });

  await t.test("a second up with nothing changed reports no change and rolls nothing", async () => {
    const generations = async () => Object.fromEntries((await kubectlJson("get", "deployments,statefulsets", "-n", NAMESPACE)).items.map((o) => [o.metadata.name, o.metadata.generation]));
    const before = await generations();
    await project.pulumi(["up", "--stack", STACK, "--expect-no-changes", ...commands.up]);
    assert.deepEqual(await generations(), before);
  });

  await t.test("a one-line backend change rolls only the backend, with no failed request during the rollout", async () => {
    appendFileSync(path.join(project.dir, "app/backend/app/main.py"), "# a one-line change\n");
    const preview = previewJson(await project.pulumi(["preview", "--stack", STACK, "--json"]));
    const changed = preview.steps.filter((s) => s.op !== "same").map((s) => `${urnParts(s.urn).type}::${urnParts(s.urn).name}`).sort();
    assert.deepEqual(changed, ["docker:index/image:Image::backend-image", "kubernetes:apps/v1:Deployment::todo-chatbot:todo-chatbot/todo-chatbot-backend"]);

    // A signed-in user's requests through the frontend to the backend and the database.
    const cookie = await signedUpUser("rollout");
    const { counts, stop } = requestLoop(cookie);
    try {
      await project.pulumi(["up", "--stack", STACK, ...commands.up]);
    } finally {
      await stop();
    }
    console.log(`requests during the rollout: ${counts.ok} succeeded, ${counts.failed} failed ${JSON.stringify(counts.failures)}`);
    assert.ok(counts.ok > 0);
    assert.equal(counts.failed, 0, `failed requests during the rollout: ${JSON.stringify(counts.failures)}`);
  });

  await t.test("rotating the database password twice: no failed request, PostgreSQL not restarted, the old password refused", async () => {
    const cookie = await signedUpUser("rotation");
    const pgPodUid = async () => (await kubectlJson("get", "pod", "-n", NAMESPACE, "postgresql-0")).metadata.uid;
    const uidBefore = await pgPodUid();
    const output = async (name) => JSON.parse((await project.pulumi(["stack", "output", "--json", "--stack", STACK])).stdout)[name];
    const rotate = () => run("bash", [path.join(repoRoot, "scripts/db-rotate-password.sh"), "--cwd", project.dir, "--stack", STACK, "--yes"], {
      env: { ...project.env, PATH: `${path.dirname(clusterEnv.CI_CLUSTER_KUBECTL)}:${project.env.PATH}` }, maxBuffer: 64 << 20, timeout: 10 * 60_000,
    });
    // Logs in over TCP as the app does: the role it became, or psql's error.
    const login = async (user, password) => {
      const result = await kubectl("exec", "-n", NAMESPACE, "postgresql-0", "--", "env", `PGPASSWORD=${password}`,
        "psql", "-X", "-h", "127.0.0.1", "-U", user, "-d", "todo", "-tAc", "select current_user").catch((error) => error.stderr ?? String(error));
      return result.trim();
    };

    const { counts, stop } = requestLoop(cookie);
    let first, second, firstPassword;
    try {
      assert.equal(await output("databaseUser"), "todo");
      first = await rotate();
      firstPassword = (await project.pulumi(["config", "get", "databasePassword", "--stack", STACK])).stdout.trim();
      assert.equal(await output("databaseUser"), "todo_b", "the first rotation moves the app to the second role");
      second = await rotate();
      assert.equal(await output("databaseUser"), "todo", "the second rotation moves it back");
      await new Promise((r) => setTimeout(r, 3000)); // the loop goes on after the last rollout
    } finally {
      await stop();
    }
    console.log(`requests during two password rotations: ${counts.ok} succeeded, ${counts.failed} failed ${JSON.stringify(counts.failures)}`);
    assert.match(first.stdout, /connects as todo_b with the new password/);
    assert.match(second.stdout, /connects as todo with the new password/);
    assert.ok(counts.ok > 0);
    assert.equal(counts.failed, 0, `failed requests during the rotations: ${JSON.stringify(counts.failures)}`);
    assert.equal(await pgPodUid(), uidBefore, "PostgreSQL's pod was not recreated");

    const currentPassword = (await project.pulumi(["config", "get", "databasePassword", "--stack", STACK])).stdout.trim();
    assert.equal(await login("todo", currentPassword), "todo", "the app's role logs in with the new password");
    assert.match(await login("todo_b", firstPassword), /password authentication failed/, "the previous role's password opens nothing");
    // The schema still belongs to the owner, whichever role the app was connected as.
    const owners = await kubectl("exec", "-n", NAMESPACE, "postgresql-0", "--", "psql", "-X", "-U", "todo", "-d", "todo", "-tAc",
      "select distinct tableowner from pg_tables where schemaname = 'public'");
    assert.equal(owners.trim(), "todo");
  });

  await t.test("destroy leaves nothing of the stack in the cluster, and a fresh up works again", async () => {
    const pvs = async () => (await kubectlJson("get", "pv")).items.filter((pv) => pv.spec.claimRef?.namespace === NAMESPACE).map((pv) => pv.metadata.name);
    assert.ok((await pvs()).length > 0, "PostgreSQL had a volume");
    await project.pulumi(["destroy", "--stack", STACK, "--yes"]);
    assert.match(await kubectl("get", "namespace", NAMESPACE, "--ignore-not-found"), /^$/);
    for (let i = 0; i < 60 && (await pvs()).length > 0; i++) await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await pvs(), [], "the PVC's volume is gone");
    const state = JSON.parse((await project.pulumi(["stack", "export", "--stack", STACK])).stdout);
    assert.deepEqual(state.deployment.resources ?? [], []);
    await project.pulumi(["up", "--stack", STACK, ...commands.up]);
    assert.equal(await fetchStatus("http://127.0.0.1:30000/api/ready"), 200);
  });
});
