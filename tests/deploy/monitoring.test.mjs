// The monitoring setting for real, on the CI cluster: `pulumi up` with `monitoring` on installs the
// kube-prometheus-stack release from a Helm repository, here the CI stand-in served on 127.0.0.1
// (.ci/monitoring-standins.sh: the real Prometheus Operator and Prometheus, built from their Go
// modules; docs/CI-CLUSTER.md says what it leaves out). The operator turns the app's
// ServiceMonitors and PrometheusRule into Prometheus' configuration; the test reads Prometheus'
// HTTP API through a port-forward on loopback, checks what it scrapes, stops the backend and
// watches the matching alert fire and resolve.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import commands from "../engine/commands.json" with { type: "json" };
import { monitoringChartRepository, repoRoot } from "../engine/support.mjs";
import { APP_URL, NAMESPACE, STACK, ciProject, clusterEnv, kubectl, signedUpUser } from "./support.mjs";

const run = promisify(execFile);
const MONITORING_NAMESPACE = "monitoring";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** kubectl port-forward to a Service on a free loopback port; its base URL. */
async function portForward(t, namespace, target, port) {
  const child = spawn(clusterEnv.CI_CLUSTER_KUBECTL, ["--kubeconfig", clusterEnv.KUBECONFIG, "port-forward", "-n", namespace, "--address", "127.0.0.1", target, `0:${port}`]);
  t.after(() => child.kill());
  const local = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`kubectl port-forward exited ${code}`)));
  });
  return `http://127.0.0.1:${local}`;
}

/** Polls `check` every 5 s until it returns a truthy value that is not `{ error }`; fails with `what` after `minutes`. */
async function eventually(what, minutes, check) {
  const deadline = Date.now() + minutes * 60_000;
  let last;
  while (Date.now() < deadline) {
    last = await check().catch((error) => ({ error: error.message }));
    if (last && !last.error) return last;
    await sleep(5000);
  }
  assert.fail(`${what}: not within ${minutes} min (last: ${JSON.stringify(last)})`);
}

test("monitoring on: the real Prometheus Operator and Prometheus scrape the deployed app, and its alert fires and resolves", async (t) => {
  const repository = await monitoringChartRepository(t);
  const project = await ciProject(t, { monitoring: true, monitoringChartRepository: repository });
  await project.pulumi(["up", "--stack", STACK, ...commands.up]);

  const prometheus = await portForward(t, MONITORING_NAMESPACE, "svc/kube-prometheus-stack-prometheus", 9090);
  const api = async (query) => {
    const body = await (await fetch(`${prometheus}/api/v1/${query}`, { signal: AbortSignal.timeout(10_000) })).json();
    assert.equal(body.status, "success", JSON.stringify(body));
    return body.data;
  };
  const firing = async (alertname) => (await api("alerts")).alerts.filter((a) => a.labels.alertname === alertname && a.labels.namespace === NAMESPACE);

  await t.test("Prometheus scrapes the backend, the frontend and PostgreSQL's exporter, through the NetworkPolicies", async () => {
    const jobs = ["todo-chatbot-backend", "todo-chatbot-frontend-metrics", "postgresql-metrics"];
    const targets = await eventually("every app target up", 5, async () => {
      const active = (await api("targets?state=active")).activeTargets.filter((target) => target.labels.namespace === NAMESPACE);
      const up = jobs.map((job) => active.find((target) => target.labels.job === job && target.health === "up"));
      return up.every(Boolean) && up;
    });
    assert.deepEqual(targets.map((target) => target.labels.job), jobs);
  });

  await t.test("the operator loaded the app's PrometheusRule: all seven alerts, none firing on the healthy app", async () => {
    const names = await eventually("the app's rules loaded", 3, async () => {
      const rules = (await api("rules?type=alert")).groups.flatMap((group) => group.rules).filter((rule) => rule.name.startsWith("TodoChatbot"));
      return rules.length === 7 && rules.map((rule) => rule.name).sort();
    });
    assert.deepEqual(names, [
      "TodoChatbotBackendDown", "TodoChatbotBackendErrors", "TodoChatbotBackendSlow", "TodoChatbotModelProviderErrors",
      "TodoChatbotPodRestarting", "TodoChatbotPostgresqlDown", "TodoChatbotPostgresqlVolumeNearlyFull",
    ]);
    // The rules may be evaluated before the first scrape (absent(up) is then briefly true): once every
    // target has been scraped, the healthy app has no alert pending or firing.
    await eventually("no app alert pending or firing on the healthy app", 3, async () => {
      const active = (await api("alerts")).alerts.filter((a) => a.labels.namespace === NAMESPACE);
      return active.length === 0 || { error: active.map((a) => `${a.labels.alertname} ${a.state}`).join(", ") };
    });
  });

  await t.test("every metric the alerts and dashboards name is exposed by the running apps and exporter", async () => {
    // Traffic through every layer, so each metric has a series: a user, a task, a chat turn.
    const cookie = await signedUpUser("monitoring");
    const headers = { cookie, origin: APP_URL, "content-type": "application/json" };
    assert.equal((await fetch(`${APP_URL}/api/tasks`, { method: "POST", headers, body: JSON.stringify({ title: "watch the dashboards" }) })).status, 201);
    const conversation = await (await fetch(`${APP_URL}/api/conversations`, { method: "POST", headers, body: "{}" })).json();
    const turn = await fetch(`${APP_URL}/api/conversations/${conversation.id}/messages`, { method: "POST", headers, body: JSON.stringify({ content: "list my tasks" }) });
    assert.equal(turn.status, 201, await turn.text());

    // Names served by kube-state-metrics and the kubelet: the stand-in stack scrapes neither (docs/CI-CLUSTER.md);
    // the kubelet's own are checked against its endpoints below.
    const fromClusterExporters = /^(kube_|kubelet_|container_)/;
    const expected = readFileSync(path.join(repoRoot, "tests/monitoring/known-metrics.txt"), "utf8").split("\n").filter((name) => name && !fromClusterExporters.test(name));
    const missing = await eventually("every app metric scraped", 3, async () => {
      const scraped = new Set(await api("label/__name__/values"));
      const absent = expected.filter((name) => !scraped.has(name));
      return absent.length === 0 ? [] : { error: `not scraped: ${absent.join(", ")}` };
    });
    assert.deepEqual(missing, []);
  });

  // The kubelet's volume statistics (kubelet_volume_stats_*) cannot be produced here: the cluster's
  // storage, like Minikube's, is hostPath, which reports none (docs/RUNBOOKS.md), and kube-state-metrics
  // does not run. The cAdvisor names are served by every kubelet:
  await t.test("the container metrics the resources dashboard names are the ones the node's kubelet (cAdvisor) serves", async () => {
    const [node] = (await kubectl("get", "nodes", "-o", "name")).trim().split("\n");
    const text = await kubectl("get", "--raw", `/api/v1/${node.replace("node/", "nodes/")}/proxy/metrics/cadvisor`);
    const served = new Set(text.split("\n").filter((line) => line && !line.startsWith("#")).map((line) => line.match(/^[a-zA-Z_:][a-zA-Z0-9_:]*/)[0]));
    const fromCadvisor = readFileSync(path.join(repoRoot, "tests/monitoring/known-metrics.txt"), "utf8").split("\n").filter((name) => name.startsWith("container_"));
    assert.ok(fromCadvisor.length > 0);
    assert.deepEqual(fromCadvisor.filter((name) => !served.has(name)), [], "named by the dashboards, not served by cAdvisor");
  });

  await t.test("the backend scaled to zero: TodoChatbotBackendDown goes to firing, and back to inactive once it runs again", async () => {
    await kubectl("scale", "deployment", "todo-chatbot-backend", "-n", NAMESPACE, "--replicas=0");
    const started = Date.now();
    try {
      const [alert] = await eventually("TodoChatbotBackendDown firing", 6, async () => {
        const alerts = (await firing("TodoChatbotBackendDown")).filter((a) => a.state === "firing");
        return alerts.length > 0 && alerts;
      });
      console.log(`TodoChatbotBackendDown firing ${Math.round((Date.now() - started) / 1000)} s after the scale-down`);
      assert.equal(alert.labels.severity, "critical");
      assert.match(alert.annotations.runbook_url, /RUNBOOKS\.md#todochatbotbackenddown$/);
    } finally {
      await kubectl("scale", "deployment", "todo-chatbot-backend", "-n", NAMESPACE, "--replicas=1");
    }
    await kubectl("rollout", "status", "deployment/todo-chatbot-backend", "-n", NAMESPACE, "--timeout=180s");
    const recovered = Date.now();
    await eventually("TodoChatbotBackendDown inactive again", 4, async () => (await firing("TodoChatbotBackendDown")).length === 0);
    console.log(`TodoChatbotBackendDown inactive ${Math.round((Date.now() - recovered) / 1000)} s after the backend is back`);
  });
});
