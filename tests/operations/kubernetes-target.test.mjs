// Issue 13: how db-backup.sh and db-restore.sh find a Kubernetes stack's database, without a
// cluster. `pulumi` and `kubectl` are stand-ins on PATH that answer the way the real tools do
// for each state a stack can be in, and record how they were called; `kubectl exec` is handed
// to the Compose project's database, so the Kubernetes transport also moves a real dump.
// tests/deploy/backup.test.mjs runs the same scripts against the real CI cluster.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { script, sh, waitHealthy } from "./support.mjs";

const OUTPUTS = {
  namespace: "todo-chatbot", kubeContext: "minikube", kubeconfig: "/nonexistent/kubeconfig", databaseMode: "in-cluster",
  kubectlHint: "kubectl --context minikube --namespace todo-chatbot get pods",
};

function standIns(t) {
  const dir = mkdtempSync(path.join(tmpdir(), "ops-standins-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, "calls.log");
  writeFileSync(path.join(dir, "pulumi"), `#!/usr/bin/env bash
echo "pulumi $*" >>"${log}"
case "$STANDIN_PULUMI" in
  no-stack) echo "error: no stack named 'nope' found" >&2; exit 255 ;;
  *) cat "$STANDIN_OUTPUTS" ;;
esac
`);
  writeFileSync(path.join(dir, "kubectl"), `#!/usr/bin/env bash
echo "kubectl $*" >>"${log}"
for arg in "$@"; do
  case "$arg" in
    get)
      case "$STANDIN_KUBECTL" in
        refused) echo "The connection to the server localhost:8080 was refused - did you specify the right host or port?" >&2; exit 1 ;;
        no-pod) exit 0 ;;
        pending) echo "postgresql-0 Pending False"; exit 0 ;;
        *) echo "postgresql-0 Running True"; exit 0 ;;
      esac ;;
    --) shift_to_command=1 ;;
  esac
done
# exec ... -- COMMAND: run COMMAND in the Compose project's database instead.
while [ "$1" != "--" ]; do shift; done; shift
exec docker-compose exec -T db "$@"
`);
  for (const tool of ["pulumi", "kubectl"]) chmodSync(path.join(dir, tool), 0o755);
  const run = async (name, args, { outputs = OUTPUTS, pulumi = "ok", kubectl = "ok" } = {}) => {
    const outputsFile = path.join(dir, "outputs.json");
    writeFileSync(outputsFile, JSON.stringify(outputs));
    writeFileSync(log, "");
    const result = await sh("bash", [script(name), ...args], {
      env: { PATH: `${dir}:${process.env.PATH}`, STANDIN_OUTPUTS: outputsFile, STANDIN_PULUMI: pulumi, STANDIN_KUBECTL: kubectl },
    });
    return { ...result, calls: readFileSync(log, "utf8").trim().split("\n") };
  };
  return { dir, run };
}

test("the scripts find the stack's database from its outputs, and say exactly why when it is not up", async (t) => {
  await waitHealthy(["db", "backend", "frontend"]);
  const { dir, run } = standIns(t);
  const dump = path.join(dir, "k8s.dump");

  await t.test("a stack that does not exist", async () => {
    const result = await run("db-backup.sh", ["--stack", "nope", dump], { pulumi: "no-stack" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error: cannot read the outputs of nope: error: no stack named 'nope' found/);
    assert.match(result.stderr, /pass --stack NAME/);
  });

  await t.test("a stack that was never deployed, or is destroyed (no outputs)", async () => {
    const result = await run("db-backup.sh", ["--stack", "local", dump], { outputs: {} });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error: local has no outputs: it is not deployed\. Deploy it first: pulumi up --stack local/);
  });

  await t.test("a stack with an external database", async () => {
    const result = await run("db-restore.sh", ["--stack", "production", "/dev/null"], { outputs: { ...OUTPUTS, databaseMode: "external" } });
    assert.equal(result.code, 1, "a file that is no dump fails first");
    const backup = await run("db-backup.sh", ["--stack", "production", dump], { outputs: { ...OUTPUTS, databaseMode: "external" } });
    assert.match(backup.stderr, /production uses an external database \(databaseMode: external\): back it up with its provider's tools/);
  });

  await t.test("a cluster that is not running", async () => {
    const result = await run("db-backup.sh", ["--stack", "local", dump], { kubectl: "refused" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error: cannot reach the cluster of context minikube: The connection to the server localhost:8080 was refused/);
    assert.match(result.stderr, /minikube status/);
  });

  await t.test("a namespace without the PostgreSQL pod", async () => {
    const result = await run("db-backup.sh", ["--stack", "local", dump], { kubectl: "no-pod" });
    assert.match(result.stderr, /error: no PostgreSQL pod in namespace todo-chatbot \(context minikube\): the stack is not up/);
  });

  await t.test("a PostgreSQL pod that is not Ready", async () => {
    const result = await run("db-backup.sh", ["--stack", "local", dump], { kubectl: "pending" });
    assert.match(result.stderr, /error: PostgreSQL's pod postgresql-0 is not Ready \(phase Pending\)/);
  });

  await t.test("scheduled backups switched off", async () => {
    const result = await run("db-backup.sh", ["--stack", "local", "--list-volume"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /scheduled backups are off in local: pulumi config set backups true, then pulumi up/);
  });

  await t.test("a running stack: kubectl exec in the stack's context and namespace moves a real dump, both ways", async () => {
    const backup = await run("db-backup.sh", ["--stack", "local", dump]);
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /^backup written: .*k8s\.dump/m);
    assert.match(backup.stderr, /from pod todo-chatbot\/postgresql-0 \(context minikube\)/);
    assert.ok(backup.calls.includes("pulumi stack output --json --stack local"), backup.calls.join("\n"));
    assert.ok(backup.calls.some((c) => c.startsWith("kubectl --context minikube --namespace todo-chatbot get pods -l app.kubernetes.io/name=postgresql,app.kubernetes.io/component=database")));
    assert.ok(backup.calls.some((c) => c.startsWith("kubectl --context minikube --namespace todo-chatbot exec -i postgresql-0 -c postgresql -- sh -c exec pg_dump --format=custom")));
    assert.ok(!backup.calls.some((c) => c.includes("/nonexistent/kubeconfig")), "a kubeconfig this machine lacks is not passed");

    const restore = await run("db-restore.sh", ["--stack", "local", "--force", dump]);
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /^restored .*k8s\.dump into pod todo-chatbot\/postgresql-0 \(context minikube\)/m);
    assert.match(restore.stdout, /rollout restart deployment -l app\.kubernetes\.io\/name=todo-chatbot/);

    const withKubeconfig = await run("db-backup.sh", ["--stack", "local", "--kubeconfig", dump, "--context", "other", path.join(dir, "k8s-2.dump")], { kubectl: "no-pod" });
    assert.ok(withKubeconfig.calls.some((c) => c.startsWith(`kubectl --context other --kubeconfig ${dump} --namespace todo-chatbot get pods`)), withKubeconfig.calls.join("\n"));
  });
});
