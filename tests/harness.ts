// Runs the Pulumi program under Pulumi's mocks with a stack's real configuration
// (Pulumi.yaml defaults merged with Pulumi.<stack>.yaml, as the engine does) and records
// every resource registration: type, name, inputs, parent, provider and dependencies.
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { PROJECT, SECRET_KEYS } from "../config";

export const REPO_ROOT = path.resolve(__dirname, "..");
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Fake production secrets, as `pulumi config set --secret` would store them. */
export const PRODUCTION_SECRETS = {
    imageRegistryPassword: "registry-token-never-shown",
    databaseUrl: "postgresql://todo:db-password-never-shown@db.example.com:5432/todo",
    openrouterApiKey: "sk-or-key-never-shown",
};

export interface Registration {
    type: string;
    name: string;
    urn: string;
    inputs: Record<string, any>;
    parent: string;
    provider: string;
    dependencies: string[];
}

export interface ProgramRun {
    registrations: Registration[];
    outputs: Record<string, unknown>;
    /** Values the mocks generated for @pulumi/random resources (secrets the program must never expose). */
    generatedSecrets: string[];
    ofType(type: string): Registration[];
    one(type: string, name: string): Registration;
}

/** A stack's configuration as the engine hands it to the program. */
export function stackConfig(stack: string): Record<string, string> {
    const project = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"));
    const stackFile = parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) ?? {};
    const config: Record<string, string> = {};
    for (const [key, spec] of Object.entries<any>(project.config ?? {})) {
        if (spec && typeof spec === "object" && "default" in spec) config[`${PROJECT}:${key}`] = String(spec.default);
    }
    for (const [key, value] of Object.entries<any>(stackFile.config ?? {})) {
        if (value && typeof value === "object" && "secure" in value) continue; // ciphertext: tests set secrets explicitly
        config[key] = String(value);
    }
    return config;
}

/**
 * A kubeconfig whose contexts (the stacks' kubeContext values) name an API server that accepts
 * connections: a TCP listener on loopback, enough for the program's reachability check
 * (lib/kubernetesApi.ts); the mocked provider never talks to it.
 */
export const FAKE_KUBECONFIG = (() => {
    const listener = net.createServer((socket) => socket.destroy()).listen(0, "127.0.0.1");
    listener.unref();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "todo-kube-")), "config");
    const contexts = ["minikube", "production"];
    listener.once("listening", () => {
        const { port } = listener.address() as net.AddressInfo;
        fs.writeFileSync(
            file,
            "apiVersion: v1\nkind: Config\n" +
                `clusters: [{name: fake, cluster: {server: "https://127.0.0.1:${port}"}}]\n` +
                `contexts: [${contexts.map((name) => `{name: ${name}, context: {cluster: fake}}`).join(", ")}]\nusers: []\n`,
        );
    });
    fs.writeFileSync(file, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
    return file;
})();

/**
 * Runs index.ts for `stack` with `overrides` (unqualified keys; undefined removes a key).
 * Secret keys are marked secret the way `pulumi config set --secret` does.
 */
export async function runProgram(
    stack: string,
    overrides: Record<string, string | undefined> = {},
    options: { preview?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<ProgramRun> {
    const config = stackConfig(stack);
    config[`${PROJECT}:kubeconfig`] = FAKE_KUBECONFIG;
    for (const [key, value] of Object.entries(overrides)) {
        if (value === undefined) delete config[`${PROJECT}:${key}`];
        else config[`${PROJECT}:${key}`] = value;
    }
    const secretKeys = SECRET_KEYS.map((k) => `${PROJECT}:${k}`).filter((k) => k in config);

    const registrations: Registration[] = [];
    const generatedSecrets: string[] = [];
    let counter = 0;

    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
                const state: Record<string, any> = { ...args.inputs };
                if (args.type === "random:index/randomPassword:RandomPassword") {
                    state.result = `generated-${args.name}-${"x".repeat(24)}`;
                    generatedSecrets.push(state.result);
                }
                if (args.type.startsWith("kubernetes:") && args.inputs.metadata && !args.inputs.metadata.name) {
                    state.metadata = { ...args.inputs.metadata, name: `${args.name}-${(++counter).toString(16).padStart(8, "0")}` };
                }
                if (args.type === "docker:index/image:Image") state.repoDigest = `${args.inputs.imageName}@sha256:${"0".repeat(64)}`;
                return { id: `${args.name}-id`, state };
            },
            call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
        },
        PROJECT,
        stack,
        options.preview ?? false,
    );
    pulumi.runtime.setAllConfig(config, secretKeys);
    // The mock monitor declines resource transforms, so a resource registered with one (the
    // chart's digest pinning, tested on its own in pinImageDigests.test.ts) would never be
    // registered under mocks; the engine supports them. Say the monitor does; the mocks ignore them.
    require("@pulumi/pulumi/runtime/state").getStore().supportsTransforms = true;

    // Record what the mocks are not told: parent, provider and dependencies of each registration.
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        registrations.push({
            type: req.getType(),
            name: req.getName(),
            urn: "",
            inputs: req.getObject()?.toJavaScript() ?? {},
            parent: req.getParent(),
            provider: req.getProvider(),
            dependencies: req.getDependenciesList(),
        });
        const entry = registrations[registrations.length - 1];
        return register(req, (err: any, response: any) => {
            if (response) entry.urn = response.getUrn();
            callback(err, response);
        });
    };

    const savedEnv = process.env;
    process.env = { ...savedEnv, DOCKER_HOST: "", DOCKER_CERT_PATH: "", DOCKER_TLS_VERIFY: "", ...options.env };
    let program: Record<string, unknown>;
    try {
        for (const id of Object.keys(require.cache)) {
            if (!id.includes(`${path.sep}node_modules${path.sep}`) && id.startsWith(REPO_ROOT) && !id.startsWith(path.join(REPO_ROOT, "tests"))) {
                delete require.cache[id];
            }
        }
        program = require(path.join(REPO_ROOT, "index.ts"));
    } catch (error) {
        await pulumi.runtime.disconnect();
        throw Object.assign(error as Error, { registrations });
    } finally {
        process.env = savedEnv;
    }
    await pulumi.runtime.disconnect();

    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(program)) outputs[key] = await resolve(value);

    return {
        registrations,
        outputs,
        generatedSecrets,
        ofType: (type) => registrations.filter((r) => r.type === type),
        one(type, name) {
            const found = registrations.filter((r) => r.type === type && r.name === name);
            if (found.length !== 1) {
                const names = registrations.filter((r) => r.type === type).map((r) => r.name);
                throw new Error(`expected one ${type} named ${name}, found ${found.length} (of this type: ${names.join(", ") || "none"})`);
            }
            return found[0];
        },
    };
}

/** The plain value of an Output (or a plain value), with secrets unwrapped. */
export function resolve<T>(value: pulumi.Input<T> | T): Promise<T> {
    return new Promise((done) => pulumi.output(value as pulumi.Input<T>).apply((v) => done(v as T)));
}

/** Whether a serialized input value was marked secret. */
export function isSecretValue(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as any)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** The plain value of a serialized input (secret wrapper removed). */
export function plain(value: unknown): any {
    return isSecretValue(value) ? (value as any).value : value;
}
