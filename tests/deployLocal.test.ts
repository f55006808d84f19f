// scripts/deploy-local.sh, run for real with stand-ins for the CLIs it drives (Minikube and
// the Pulumi CLI cannot run on the CI machine): each stand-in logs its arguments and
// answers like the real tool, so the test sees what the script asks of them.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "./harness";

const SCRIPT = path.join(REPO_ROOT, "scripts", "deploy-local.sh");

/** Stand-in CLIs. Each logs "<tool> <args>" (and DOCKER_HOST for pulumi up) to $CALLS. */
const STANDINS: Record<string, string> = {
    docker: `echo "docker $*" >>"$CALLS"`,
    npm: `echo "npm $*" >>"$CALLS"`,
    minikube: `echo "minikube $*" >>"$CALLS"
case "$1" in
  status) [ -e "$STATE/started" ] && echo "Running/Running" || { echo "Stopped/Stopped"; exit 7; } ;;
  start) touch "$STATE/started" ;;
  addons) if [ "$2" = list ]; then echo '{"ingress":{"Status":"enabled"},"metrics-server":{"Status":"disabled"}}'; fi ;;
  docker-env) echo 'export DOCKER_TLS_VERIFY="1"'; echo 'export DOCKER_HOST="tcp://192.168.49.2:2376"'; echo 'export DOCKER_CERT_PATH="/home/u/.minikube/certs"' ;;
  ip) echo 192.168.49.2 ;;
esac`,
    pulumi: `echo "pulumi $* DOCKER_HOST=\${DOCKER_HOST:-} BACKEND=\${PULUMI_BACKEND_URL:-}" >>"$CALLS"
case "$1 $2" in
  "whoami "*) exit 1 ;;
  "config get") case "$3" in kubeContext) echo minikube ;; frontendNodePort) echo 30000 ;; *) exit 1 ;; esac ;;
esac`,
};

function sandbox(tools: string[]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "todo-deploy-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    for (const tool of tools) fs.writeFileSync(path.join(bin, tool), `#!/usr/bin/env bash\n${STANDINS[tool]}\n`, { mode: 0o755 });
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    // Only these system tools are on PATH, so a "missing" CLI is really missing.
    for (const tool of ["bash", "env", "od", "tr", "mkdir", "grep", "id", "dirname", "touch", "cat"]) {
        fs.symlinkSync(spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim(), path.join(bin, tool));
    }
    const home = path.join(dir, "home");
    fs.mkdirSync(home);
    const env = {
        PATH: bin, HOME: home, CALLS: path.join(dir, "calls.log"), STATE: dir,
        PULUMI_BACKEND_URL: "", PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: "", XDG_CONFIG_HOME: "",
    };
    const run = (...args: string[]) => spawnSync("bash", [SCRIPT, ...args], { env, encoding: "utf8" });
    const calls = () => (fs.existsSync(env.CALLS) ? fs.readFileSync(env.CALLS, "utf8").trim().split("\n") : []);
    return { run, calls, home };
}

describe("scripts/deploy-local.sh (with stand-in CLIs)", function () {
    this.timeout(30_000);

    for (const missing of ["docker", "minikube", "pulumi"]) {
        it(`stops with an install hint when ${missing} is missing`, () => {
            const { run, calls } = sandbox(Object.keys(STANDINS).filter((t) => t !== missing));
            const result = run("--yes");
            assert.notStrictEqual(result.status, 0);
            assert.match(result.stderr, new RegExp(`${missing} is not installed\\. Install .*https://`));
            assert.ok(!calls().some((c) => c.startsWith("pulumi up")), "nothing is deployed");
        });
    }

    it("starts Minikube with its addons, sets up a local backend, and deploys the local stack into Minikube's Docker", () => {
        const { run, calls, home } = sandbox(Object.keys(STANDINS));
        const result = run("--yes");
        assert.strictEqual(result.status, 0, result.stderr + result.stdout);
        const log = calls();
        const start = log.find((c) => c.startsWith("minikube start"));
        assert.ok(start, "Minikube is started when it is not running");
        assert.match(start, /--addons ingress --addons metrics-server/);
        assert.match(start, /--cni calico/, "a CNI that enforces the NetworkPolicies");
        assert.ok(log.includes("minikube addons enable metrics-server --profile minikube"), "a disabled addon is enabled");
        assert.ok(!log.includes("minikube addons enable ingress --profile minikube"), "an enabled addon is left alone");

        const backend = `file://${home}/.config/todo-chatbot/pulumi-state`;
        const passphrase = path.join(home, ".config", "todo-chatbot", "pulumi-passphrase");
        assert.ok(log.some((c) => c.startsWith("pulumi stack select local --create") && c.endsWith(`BACKEND=${backend}`)));
        assert.strictEqual(fs.statSync(passphrase).mode & 0o777, 0o600, "the passphrase file is private");
        assert.ok(fs.readFileSync(passphrase, "utf8").length >= 32);

        assert.ok(log.some((c) => c.startsWith("pulumi config set publicUrl http://192.168.49.2:30000 --stack local")));
        const up = log.find((c) => c.startsWith("pulumi up"));
        assert.ok(up, "pulumi up runs");
        assert.match(up, /^pulumi up --stack local --yes DOCKER_HOST=tcp:\/\/192\.168\.49\.2:2376 /, "images are built by Minikube's daemon");
        assert.ok(log.indexOf(up) > log.indexOf(start));
    });

    it("leaves a running Minikube and a configured backend as they are", () => {
        const { run, calls } = sandbox(Object.keys(STANDINS));
        run("--yes");
        const before = calls().length;
        const result = run("--yes");
        assert.strictEqual(result.status, 0, result.stderr);
        const second = calls().slice(before);
        assert.ok(!second.some((c) => c.startsWith("minikube start")), "a running Minikube is not restarted");
    });
});
