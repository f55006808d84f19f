// Whether the cluster a stack deploys to answers, checked before the Kubernetes provider is used:
// an unreachable cluster otherwise surfaces mid-run as the Helm chart's "unable to load schema
// information from the API server", which says nothing about what to do.
import * as fs from "fs";
import * as net from "net";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

const CONNECT_TIMEOUT_MS = 5_000;

/** Resolves to the kubeconfig path when CONTEXT's API server accepts a connection; otherwise fails the run saying what to do. */
export async function reachableKubeconfig(kubeconfig: string, context: string, stack: string): Promise<string> {
    const server = apiServerOf(kubeconfig, context, stack);
    const failure = await connectFailure(server);
    if (failure) {
        throw new pulumi.RunError(
            `The Kubernetes API server of context "${context}" (${server.href}, from ${kubeconfig}) is unreachable: ${failure}.\n` +
                `  Fix: start the cluster (Minikube: \`minikube start\`), or point the stack at one that runs: ` +
                `pulumi config set kubeContext <context> --stack ${stack} (and kubeconfig <path> if it lives elsewhere).`,
        );
    }
    return kubeconfig;
}

/** The API server URL of a kubeconfig context, or a RunError naming the contexts there are. */
function apiServerOf(kubeconfig: string, context: string, stack: string): URL {
    let document: any;
    try {
        document = parse(fs.readFileSync(kubeconfig, "utf8")) ?? {};
    } catch (error) {
        throw new pulumi.RunError(`kubeconfig ${kubeconfig} cannot be read as YAML (${(error as Error).message}). Fix: pulumi config set kubeconfig <path> --stack ${stack}`);
    }
    const contexts: any[] = document.contexts ?? [];
    const entry = contexts.find((c) => c?.name === context);
    if (!entry) {
        const names = contexts.map((c) => c?.name).filter(Boolean);
        throw new pulumi.RunError(
            `kubeconfig ${kubeconfig} has no context "${context}" (it has: ${names.join(", ") || "none"}). ` +
                `Fix: pulumi config set kubeContext ${names[0] ?? "<context>"} --stack ${stack}` +
                (names.length === 0 ? " after starting the cluster (`minikube start` writes its context)" : ""),
        );
    }
    const cluster = (document.clusters ?? []).find((c: any) => c?.name === entry.context?.cluster);
    const server = cluster?.cluster?.server;
    try {
        return new URL(server);
    } catch {
        throw new pulumi.RunError(`kubeconfig ${kubeconfig}: context "${context}" names no cluster with a server URL. Fix: repair the kubeconfig (\`minikube update-context\` for Minikube)`);
    }
}

/** Why a TCP connection to the server fails, or undefined when it connects. */
function connectFailure(server: URL): Promise<string | undefined> {
    const port = Number(server.port || (server.protocol === "http:" ? 80 : 443));
    const host = server.hostname.replace(/^\[|\]$/g, "");
    return new Promise((resolve) => {
        const socket = net.connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
        socket.once("connect", () => {
            socket.destroy();
            resolve(undefined);
        });
        socket.once("timeout", () => {
            socket.destroy();
            resolve(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`);
        });
        socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
}
