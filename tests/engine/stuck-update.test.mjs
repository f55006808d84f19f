// docs/TROUBLESHOOTING.md, "A stuck or interrupted Pulumi update", produced with the real CLI: a
// second update while one runs is refused with the quoted lock message, an update killed
// outright leaves that lock behind, and `pulumi cancel` releases it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { initStack, loopbackApiServer, projectCopy, repoRoot } from "./support.mjs";

const doc = readFileSync(path.join(repoRoot, "docs/TROUBLESHOOTING.md"), "utf8");
const LOCKED = "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.";

test("a locked stack says what to do, an update killed outright leaves its lock, and pulumi cancel releases it", async (t) => {
  const kubeconfig = await loopbackApiServer(t, ["minikube"]);
  const project = await projectCopy(t);
  await initStack(project, "local", { kubeconfig, settings: { renderYamlToDirectory: path.join(project.root, "rendered"), buildOnPreview: "false" } });

  // An update that holds the lock (it builds both images first), then killed as a crash would.
  const update = spawn(path.join(process.env.PULUMI_TOOLCHAIN_BIN, "pulumi"), ["up", "--stack", "local", "--yes", "--non-interactive"], { cwd: project.dir, env: project.env });
  const locks = path.join(project.stateDir, ".pulumi", "locks");
  const locked = () => existsSync(locks) && readdirSync(locks, { recursive: true }).some((f) => f.endsWith(".json"));
  for (let i = 0; i < 600 && !locked(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(locked(), "the update took the stack's lock");

  const whileRunning = await project.pulumi(["up", "--stack", "local", "--yes"], { allowFailure: true });
  assert.notEqual(whileRunning.code, 0, "a second update during an update is refused");
  assert.ok(`${whileRunning.stdout}${whileRunning.stderr}`.includes(LOCKED), `the CLI said:\n${whileRunning.stderr}`);
  assert.ok(doc.includes(LOCKED), "TROUBLESHOOTING.md quotes the message");

  update.kill("SIGKILL");
  await new Promise((done) => update.on("exit", done));
  const afterCrash = await project.pulumi(["up", "--stack", "local", "--yes"], { allowFailure: true });
  assert.ok(`${afterCrash.stdout}${afterCrash.stderr}`.includes(LOCKED), "the killed update left its lock");

  await project.pulumi(["cancel", "--stack", "local", "--yes"]);
  await project.pulumi(["up", "--stack", "local", "--yes"]);
});
