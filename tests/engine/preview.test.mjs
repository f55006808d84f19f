// `pulumi preview` of the real program, as a pull request runs it: the real CLI, language host
// and plugins, both stacks, against a real Kubernetes API server on loopback (what the Helm
// chart needs to render), with the images really built (buildOnPreview).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import commands from "./commands.json" with { type: "json" };
import {
  PASSPHRASE, PRODUCTION_SECRETS, filesContaining, initStack, lockedVersion, loopbackApiServer, monitoringChartRepository, previewJson, projectCopy,
  repoRoot, urnParts,
} from "./support.mjs";

const pluginVersions = JSON.parse(readFileSync(path.join(repoRoot, "lib/pluginVersions.json"), "utf8"));
const EXPECTED_PLUGIN_VERSIONS = {
  kubernetes: lockedVersion("@pulumi/kubernetes"),
  random: lockedVersion("@pulumi/random"),
  docker: pluginVersions.docker ?? lockedVersion("@pulumi/docker"),
};

// What each stack's plan must hold: "TYPE NAME < PARENT TYPE::PARENT NAME" (the stack resource
// itself aside). Every component's children, the chart's objects under the Chart, the providers
// at the top.
const BOTH_STACKS = [
  "docker:index/image:Image backend-image < todo-chatbot:build:AppImage::backend",
  "docker:index/image:Image frontend-image < todo-chatbot:build:AppImage::frontend",
  "kubernetes:apps/v1:Deployment todo-chatbot:todo-chatbot/todo-chatbot-backend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
  "kubernetes:apps/v1:Deployment todo-chatbot:todo-chatbot/todo-chatbot-frontend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
  "kubernetes:core/v1:ConfigMap todo-chatbot:todo-chatbot/todo-chatbot-backend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
  "kubernetes:core/v1:ConfigMap todo-chatbot:todo-chatbot/todo-chatbot-frontend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
  "kubernetes:core/v1:LimitRange platform-limits < todo-chatbot:platform:Platform::platform",
  "kubernetes:core/v1:Namespace platform-namespace < todo-chatbot:platform:Platform::platform",
  "kubernetes:core/v1:ResourceQuota platform-quota < todo-chatbot:platform:Platform::platform",
  "kubernetes:core/v1:Secret app-secrets < todo-chatbot:app:AppSecrets::app-secrets",
  "kubernetes:core/v1:Service todo-chatbot:todo-chatbot/todo-chatbot-backend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
  "kubernetes:core/v1:Service todo-chatbot:todo-chatbot/todo-chatbot-frontend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
  "kubernetes:core/v1:ServiceAccount todo-chatbot:todo-chatbot/todo-chatbot-backend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
  "kubernetes:core/v1:ServiceAccount todo-chatbot:todo-chatbot/todo-chatbot-frontend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
  "kubernetes:helm.sh/v4:Chart todo-chatbot < todo-chatbot:app:TodoChatbotChart::todo-chatbot",
  "kubernetes:networking.k8s.io/v1:NetworkPolicy platform-allow-dns < todo-chatbot:platform:Platform::platform",
  "kubernetes:networking.k8s.io/v1:NetworkPolicy platform-backend < todo-chatbot:platform:Platform::platform",
  "kubernetes:networking.k8s.io/v1:NetworkPolicy platform-default-deny-all < todo-chatbot:platform:Platform::platform",
  "kubernetes:networking.k8s.io/v1:NetworkPolicy platform-frontend < todo-chatbot:platform:Platform::platform",
  "pulumi:providers:docker docker < pulumi:pulumi:Stack",
  "pulumi:providers:kubernetes kubernetes < pulumi:pulumi:Stack",
  "pulumi:providers:random random < pulumi:pulumi:Stack",
  "random:index/randomPassword:RandomPassword app-secrets-better-auth-secret < todo-chatbot:app:AppSecrets::app-secrets",
  "todo-chatbot:app:AppSecrets app-secrets < pulumi:pulumi:Stack",
  "todo-chatbot:app:TodoChatbotChart todo-chatbot < pulumi:pulumi:Stack",
  "todo-chatbot:build:AppImage backend < pulumi:pulumi:Stack",
  "todo-chatbot:build:AppImage frontend < pulumi:pulumi:Stack",
  "todo-chatbot:platform:Platform platform < pulumi:pulumi:Stack",
];
const EXPECTED_PLAN = {
  local: [
    ...BOTH_STACKS,
    // The in-cluster PostgreSQL.
    "kubernetes:apps/v1:StatefulSet postgresql < todo-chatbot:data:Database::postgresql",
    "kubernetes:core/v1:Secret postgresql-init-credentials < todo-chatbot:data:Database::postgresql",
    "kubernetes:core/v1:Service postgresql-headless < todo-chatbot:data:Database::postgresql",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy platform-database < todo-chatbot:platform:Platform::platform",
    "random:index/randomPassword:RandomPassword postgresql-password < todo-chatbot:data:Database::postgresql",
    "todo-chatbot:data:Database postgresql < pulumi:pulumi:Stack",
  ],
  production: [
    ...BOTH_STACKS,
    // Ingress, autoscaling and disruption budgets; the database is external.
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler todo-chatbot:todo-chatbot/todo-chatbot-backend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler todo-chatbot:todo-chatbot/todo-chatbot-frontend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
    "kubernetes:networking.k8s.io/v1:Ingress todo-chatbot:todo-chatbot/todo-chatbot < kubernetes:helm.sh/v4:Chart::todo-chatbot",
    "kubernetes:policy/v1:PodDisruptionBudget todo-chatbot:todo-chatbot/todo-chatbot-backend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
    "kubernetes:policy/v1:PodDisruptionBudget todo-chatbot:todo-chatbot/todo-chatbot-frontend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
    // Monitoring (on in production): kube-prometheus-stack, and the chart's ServiceMonitors, alerts and dashboards.
    "todo-chatbot:observability:Monitoring monitoring < pulumi:pulumi:Stack",
    "kubernetes:core/v1:Namespace monitoring-namespace < todo-chatbot:observability:Monitoring::monitoring",
    "kubernetes:core/v1:Secret monitoring-grafana-admin < todo-chatbot:observability:Monitoring::monitoring",
    "kubernetes:helm.sh/v3:Release monitoring < todo-chatbot:observability:Monitoring::monitoring",
    "kubernetes:helm.sh/v4:Chart monitoring-crds < todo-chatbot:observability:Monitoring::monitoring",
    ...["alertmanagerconfigs", "alertmanagers", "podmonitors", "probes", "prometheusagents", "prometheuses", "prometheusrules", "scrapeconfigs", "servicemonitors", "thanosrulers"]
      .map((plural) => `kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition monitoring-crds:${plural}.monitoring.coreos.com < kubernetes:helm.sh/v4:Chart::monitoring-crds`),
    "random:index/randomPassword:RandomPassword monitoring-grafana-admin-password < todo-chatbot:observability:Monitoring::monitoring",
    "kubernetes:core/v1:Service todo-chatbot:todo-chatbot/todo-chatbot-frontend-metrics < kubernetes:helm.sh/v4:Chart::todo-chatbot",
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor todo-chatbot:todo-chatbot/todo-chatbot-backend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor todo-chatbot:todo-chatbot/todo-chatbot-frontend < kubernetes:helm.sh/v4:Chart::todo-chatbot",
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule todo-chatbot:todo-chatbot/todo-chatbot < kubernetes:helm.sh/v4:Chart::todo-chatbot",
    ...["assistant", "backend", "frontend", "postgresql", "resources"].map((dashboard) =>
      `kubernetes:core/v1:ConfigMap todo-chatbot:todo-chatbot/todo-chatbot-dashboard-${dashboard} < kubernetes:helm.sh/v4:Chart::todo-chatbot`),
  ],
};

function assertPlan(plan, stack) {
  const planned = plan
    .filter((r) => r.type !== "pulumi:pulumi:Stack")
    .map((r) => `${r.type} ${r.name} < ${r.parent.replace(/::todo-chatbot-(local|production)$/, "")}`);
  assert.deepEqual(planned.sort(), [...EXPECTED_PLAN[stack]].sort());
  assert.ok(plan.every((r) => r.op === "create"), "a new stack only creates");
}

/** The steps of a `pulumi preview --json`, with parent and provider as "TYPE::NAME". */
function planOf(preview) {
  const describe = (urn) => (urn ? `${urnParts(urn).type}::${urnParts(urn).name}` : undefined);
  return preview.steps.map((step) => {
    const state = step.newState ?? {};
    // A provider reference is PROVIDER_URN::PROVIDER_ID.
    const provider = state.provider ? describe(state.provider.slice(0, state.provider.lastIndexOf("::"))) : undefined;
    return { op: step.op, ...urnParts(step.urn), parent: describe(state.parent), provider, inputs: state.inputs ?? {} };
  });
}

async function preview(t, stack, settings = {}, secrets = {}) {
  const kubeconfig = await loopbackApiServer(t, ["minikube", "production"]);
  const project = await projectCopy(t);
  await initStack(project, stack, { kubeconfig, settings, secrets });
  const result = previewJson(await project.pulumi(["preview", "--stack", stack, "--json", ...commands.preview]));
  const warnings = (result.diagnostics ?? []).filter((d) => d.severity === "warning").map((d) => d.message);
  assert.deepEqual(warnings, [], "the preview warns");
  return { project, plan: planOf(result) };
}

const run = promisify(execFile);
const imageExists = (ref) => run("/usr/bin/docker", ["image", "inspect", ref]).then(() => true, () => false);

/** The local stack's image references for the current source (lib/contextHash.ts, as the program computes them). */
async function localImageNames() {
  const { createRequire } = await import("node:module");
  const require = createRequire(import.meta.url);
  require("ts-node").register({ transpileOnly: true, project: path.join(repoRoot, "tsconfig.json") });
  const { hashBuildContext } = require(path.join(repoRoot, "lib/contextHash.ts"));
  return ["backend", "frontend"].map((app) => `todo-chatbot-${app}:${hashBuildContext(path.join(repoRoot, "app", app)).slice(0, 16)}`);
}

function assertNoSecretAnywhere(project, secrets) {
  for (const secret of [...secrets, PASSPHRASE]) {
    assert.ok(!project.outputs.some((text) => text.includes(secret)), "a secret value appears in the CLI's output");
    assert.deepEqual(filesContaining(project.root, secret), [], "a secret value appears in plain text in a file (state, stack files, logs)");
  }
}

function assertProviders(plan) {
  for (const resource of plan) {
    if (resource.type.startsWith("pulumi:")) continue;
    const pkg = resource.type.split(":")[0];
    if (resource.type === "kubernetes:helm.sh/v4:Chart" || !["kubernetes", "docker", "random"].includes(pkg)) continue;
    assert.ok(resource.provider, `${resource.type} ${resource.name} has no provider`);
    assert.equal(resource.provider.split("::")[0], `pulumi:providers:${pkg}`, `${resource.type} ${resource.name} uses ${resource.provider}`);
  }
  const providers = plan.filter((r) => r.type.startsWith("pulumi:providers:"));
  for (const provider of providers) {
    const pkg = provider.type.slice("pulumi:providers:".length);
    assert.equal(provider.inputs.version, EXPECTED_PLUGIN_VERSIONS[pkg], `the ${pkg} provider asks for plugin ${provider.inputs.version}`);
  }
}

test("pulumi preview --stack local: every resource of the plan, with its parent and provider, and the images built", async (t) => {
  // Gone before the preview, there after it: buildOnPreview builds them (the build cache stays).
  const images = await localImageNames();
  for (const ref of images) await run("/usr/bin/docker", ["rmi", "-f", ref]).catch(() => {});
  const { project, plan } = await preview(t, "local");
  assertPlan(plan, "local");
  const built = plan.filter((r) => r.type === "docker:index/image:Image").map((r) => r.inputs.imageName).sort();
  assert.deepEqual(built, images, "the preview plans the images of the current source");
  for (const ref of built) assert.ok(await imageExists(ref), `the preview built ${ref}`);
  assertProviders(plan);
  assertNoSecretAnywhere(project, []);
});

test("pulumi preview --stack production: every resource of the plan, secrets set with the CLI and never shown", async (t) => {
  // The one CI-only setting: kube-prometheus-stack's repository is unreachable from CI, its stand-in is served on loopback.
  const monitoringRepository = await monitoringChartRepository(t);
  const { project, plan } = await preview(t, "production", { monitoringChartRepository: monitoringRepository }, PRODUCTION_SECRETS);
  assertPlan(plan, "production");
  assertProviders(plan);
  const release = plan.find((r) => r.type === "kubernetes:helm.sh/v3:Release");
  assert.equal(release.inputs.chart, "kube-prometheus-stack");
  assert.match(release.inputs.version, /^\d+\.\d+\.\d+$/, "a pinned chart version");

  // What a reviewer reads in the pull request: one line per object, and each object's fields.
  const diff = (await project.pulumi(["preview", "--stack", "production", ...commands.preview])).stdout;
  assert.match(diff, /\+ kubernetes:apps\/v1:Deployment: \(create\)/);
  assert.match(diff, /\+ kubernetes:networking.k8s.io\/v1:Ingress: \(create\)/);
  assert.match(diff, /host\s*: "todo\.example\.com"/);
  assert.match(diff, /\[secret\]/, "secret inputs are shown masked");
  assertNoSecretAnywhere(project, Object.values(PRODUCTION_SECRETS));
});

/** Everything a failed command printed, checked to carry no JavaScript stack trace. */
function failureText(result) {
  const text = `${result.stdout}\n${result.stderr}`;
  assert.notEqual(result.code, 0, "the command should have failed");
  assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, `a stack trace was printed:\n${text}`);
  return text;
}

test("bad settings fail a real preview and up with the key and the fix, and nothing is created", async (t) => {
  const kubeconfig = await loopbackApiServer(t, ["minikube"]);
  const project = await projectCopy(t);
  await initStack(project, "local", { kubeconfig, settings: { namespace: "kube-system", databaseStorageSize: "1GB" } });
  const preview = failureText(await project.pulumi(["preview", "--stack", "local"], { allowFailure: true }));
  assert.match(preview, /namespace .*kube-system.*Fix: pulumi config set namespace \S+ --stack local/);
  assert.match(preview, /databaseStorageSize .*1GB.*Fix: pulumi config set databaseStorageSize 1Gi --stack local/);
  failureText(await project.pulumi(["up", "--stack", "local", "--yes"], { allowFailure: true }));
  const state = JSON.parse((await project.pulumi(["stack", "export", "--stack", "local"])).stdout);
  const created = (state.deployment.resources ?? []).filter((r) => r.type !== "pulumi:pulumi:Stack");
  assert.deepEqual(created.map((r) => r.urn), [], "a failed configuration creates nothing");
});

test("a value of the wrong type fails the preview through Pulumi.yaml's declared types", async (t) => {
  const project = await projectCopy(t);
  await initStack(project, "local", { kubeconfig: undefined, settings: { frontendReplicas: "two" } });
  const text = failureText(await project.pulumi(["preview", "--stack", "local"], { allowFailure: true }));
  assert.match(text, /frontendReplicas/);
});

test("a preview with no reachable cluster fails with what to do, not a stack trace", async (t) => {
  const project = await projectCopy(t);
  const { writeFileSync } = await import("node:fs");
  const kubeconfig = path.join(project.root, "kubeconfig");
  // 127.0.0.1 port 9 (discard): nothing listens there on this machine.
  writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\ncontexts: [{name: minikube, context: {cluster: c}}]\n");
  await initStack(project, "local", { kubeconfig });
  const text = failureText(await project.pulumi(["preview", "--stack", "local"], { allowFailure: true }));
  assert.match(text, /The Kubernetes API server of context "minikube" \(https:\/\/127\.0\.0\.1:9\/.*\) is unreachable: ECONNREFUSED/);
  assert.match(text, /minikube start/);
});
