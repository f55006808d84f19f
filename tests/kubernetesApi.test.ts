// The reachability check that runs before the Kubernetes provider is used (lib/kubernetesApi.ts).
import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { reachableKubeconfig } from "../lib/kubernetesApi";

function kubeconfigFor(server: string, context = "minikube"): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "todo-kubeapi-")), "config");
    fs.writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}"}}]\ncontexts: [{name: ${context}, context: {cluster: c}}]\n`);
    return file;
}

async function closedPort(): Promise<number> {
    const probe = net.createServer().listen(0, "127.0.0.1");
    await new Promise((done) => probe.once("listening", done));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((done) => probe.close(done));
    return port;
}

describe("the Kubernetes API reachability check", () => {
    it("passes the kubeconfig on when the context's API server accepts connections", async () => {
        const listener = net.createServer((socket) => socket.destroy()).listen(0, "127.0.0.1");
        await new Promise((done) => listener.once("listening", done));
        try {
            const file = kubeconfigFor(`https://127.0.0.1:${(listener.address() as net.AddressInfo).port}`);
            assert.strictEqual(await reachableKubeconfig(file, "minikube", "local"), file);
        } finally {
            listener.close();
        }
    });

    it("fails without a stack trace, naming the server and what to do, when nothing answers", async () => {
        const file = kubeconfigFor(`https://127.0.0.1:${await closedPort()}`);
        await assert.rejects(reachableKubeconfig(file, "minikube", "local"), (error: Error) => {
            assert.ok(error instanceof pulumi.RunError, "a RunError: Pulumi prints its message without a stack");
            assert.match(error.message, /context "minikube" \(https:\/\/127\.0\.0\.1:\d+\/, from .*\) is unreachable: ECONNREFUSED/);
            assert.match(error.message, /minikube start/);
            assert.match(error.message, /pulumi config set kubeContext <context> --stack local/);
            return true;
        });
    });

    it("names the contexts the kubeconfig has when the stack's context is not among them", async () => {
        const file = kubeconfigFor("https://127.0.0.1:1", "kind-dev");
        await assert.rejects(reachableKubeconfig(file, "minikube", "local"), /has no context "minikube" \(it has: kind-dev\)\. Fix: pulumi config set kubeContext kind-dev --stack local/);
    });
});
