// Bad configuration fails at preview, before any resource is registered, naming the key
// and the exact command that fixes it.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, parseConfig, PROJECT, StackConfig, tlsPairProblem } from "../config";
import { FAKE_KUBECONFIG, PRODUCTION_SECRETS, ProgramRun, REPO_ROOT, runProgram, stackConfig } from "./harness";

/** A self-signed EC certificate for todo.example.com (the production ingressHost), valid until 2126, and its key. */
export const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBqzCCAVCgAwIBAgIUceLdv6X9WYPlt+iQZL2rB/N963gwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQdG9kby5leGFtcGxlLmNvbTAgFw0yNjEyMDEwMDQ1MTdaGA8y
MTI2MTEwNzAwNDUxN1owGzEZMBcGA1UEAwwQdG9kby5leGFtcGxlLmNvbTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABIC+jLnPeW5ZpgQlpGAMRehPLGcivydDSPd4
dmGl+r3A2egNhNaLMC7imR4EVTeIKAlwS/9YkZa4ZxCBkS/+VhOjcDBuMB0GA1Ud
DgQWBBQFN3vJEVb4OP42ztQdKFMSNQpYjTAfBgNVHSMEGDAWgBQFN3vJEVb4OP42
ztQdKFMSNQpYjTAPBgNVHRMBAf8EBTADAQH/MBsGA1UdEQQUMBKCEHRvZG8uZXhh
bXBsZS5jb20wCgYIKoZIzj0EAwIDSQAwRgIhAN+8G3Zf0hrw275/wym/zxt1vnAE
J3vCWQ2FhfnGbelaAiEA8I5yi0VdapPGsbSBfgxRT3DCzstd5CwUqNCOZyI8ALs=
-----END CERTIFICATE-----
`;
export const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgt7h3VtnLLgl94Koo
5SIfwaAHRTmdtD8fi40asWGikpuhRANCAASAvoy5z3luWaYEJaRgDEXoTyxnIr8n
Q0j3eHZhpfq9wNnoDYTWizAu4pkeBFU3iCgJcEv/WJGWuGcQgZEv/lYT
-----END PRIVATE KEY-----
`;

async function previewFails(stack: string, overrides: Record<string, string | undefined>): Promise<string> {
    let run: ProgramRun | undefined;
    try {
        run = await runProgram(stack, overrides, { preview: true });
    } catch (error) {
        assert.strictEqual((error as Error).constructor.name, "ConfigError", `expected a ConfigError, got ${error}`);
        const registered = (error as { registrations: { type: string }[] }).registrations;
        assert.deepStrictEqual(registered.map((r) => r.type), [], "nothing may be registered before the configuration is valid");
        return (error as Error).message;
    }
    assert.fail(`preview of ${stack} succeeded with ${run.registrations.length} resources; expected a configuration error`);
}

/** Asserts one problem line names the key and the fix, and that nothing of a secret leaked into the message. */
function assertProblem(message: string, key: string, fix: string) {
    const line = message.split("\n").find((l) => l.includes(`- ${key}`));
    assert.ok(line, `no problem reported for ${key} in:\n${message}`);
    assert.ok(line.includes(fix), `the problem for ${key} must say how to fix it (${fix}); got:\n${line}`);
}

describe("configuration errors fail the preview", function () {
    this.timeout(60_000);

    it("a missing production secret", async () => {
        const message = await previewFails("production", { ...PRODUCTION_SECRETS, databaseUrl: undefined });
        assertProblem(message, "databaseUrl is required", "pulumi config set --secret databaseUrl 'postgresql://USER:PASSWORD@HOST:5432/DB' --stack production");
    });

    it("every missing production secret at once", async () => {
        const message = await previewFails("production", {});
        assertProblem(message, "imageRegistryPassword is required", "pulumi config set --secret imageRegistryPassword <token> --stack production");
        assertProblem(message, "databaseUrl is required", "pulumi config set --secret databaseUrl");
        assertProblem(message, "openrouterApiKey is required", "pulumi config set --secret openrouterApiKey <openrouter-key> --stack production");
        assert.match(message, /Invalid configuration of stack "production" \(3 problems\)/);
    });

    it("a replica count below 1", async () => {
        const message = await previewFails("local", { frontendReplicas: "0" });
        assertProblem(message, "frontendReplicas must be a whole number from 1 to 50, got \"0\"", "pulumi config set frontendReplicas 1 --stack local");
    });

    it("a replica count that is not a whole number", async () => {
        const message = await previewFails("local", { backendReplicas: "two" });
        assertProblem(message, "backendReplicas must be a whole number", "pulumi config set backendReplicas 1 --stack local");
    });

    for (const port of ["80", "29999", "32768"]) {
        it(`a NodePort outside 30000-32767 (${port})`, async () => {
            const message = await previewFails("local", { frontendNodePort: port });
            assertProblem(message, `frontendNodePort must be a whole number from 30000 to 32767, got "${port}"`, "pulumi config set frontendNodePort 30000 --stack local");
        });
    }

    const malformedUrls: Record<string, string> = {
        "not a url": "is not a URL",
        "mysql://u:p@db:3306/todo": "must start with postgresql://",
        "postgresql://u:p@db.example.com:5432/": "names no database",
        "postgresql://db.example.com:5432/todo": "has no user name",
    };
    for (const [url, why] of Object.entries(malformedUrls)) {
        it(`a malformed database URL (${why})`, async () => {
            const message = await previewFails("production", { ...PRODUCTION_SECRETS, databaseUrl: url });
            assertProblem(message, `databaseUrl ${why}`, "pulumi config set --secret databaseUrl");
            assert.ok(!message.includes(url), "the message must not echo the URL (it may hold a password)");
        });
    }

    it("an image registry without credentials", async () => {
        const message = await previewFails("local", { imageRegistry: "registry.example.com/todo" });
        assertProblem(message, "imageRegistryUsername is required when imageRegistry is set", "pulumi config set imageRegistryUsername <user> --stack local");
        assertProblem(message, "imageRegistryPassword is required when imageRegistry is set", "pulumi config set --secret imageRegistryPassword <token> --stack local");
    });

    it("an unknown key that is a typo of a known one", async () => {
        const message = await previewFails("local", { frontendReplica: "2" });
        assertProblem(message, "frontendReplica is not a setting of this program (did you mean frontendReplicas?)", "pulumi config rm frontendReplica --stack local");
    });

    it("an unknown key that resembles nothing", async () => {
        const message = await previewFails("local", { colourScheme: "dark" });
        assertProblem(message, "colourScheme is not a setting of this program.", "pulumi config rm colourScheme --stack local");
    });

    it("a service type, profile or mode that does not exist", async () => {
        const message = await previewFails("local", { frontendServiceType: "LoadBalancer", resourceProfile: "huge", database: "sqlite" });
        assertProblem(message, "frontendServiceType must be one of NodePort, ClusterIP", "pulumi config set frontendServiceType NodePort --stack local");
        assertProblem(message, "resourceProfile must be one of small, medium, large", "pulumi config set resourceProfile small --stack local");
        assertProblem(message, "database must be one of in-cluster, external", "pulumi config set database in-cluster --stack local");
    });

    it("an Ingress without host or TLS", async () => {
        const message = await previewFails("local", { ingressEnabled: "true" });
        assertProblem(message, "ingressHost is required when ingressEnabled is true", "pulumi config set ingressHost todo.example.com --stack local");
        assertProblem(message, "an Ingress needs TLS", "pulumi config set ingressTlsSecretName todo-chatbot-tls --stack local");
    });

    it("an auth secret that is too short", async () => {
        const message = await previewFails("local", { betterAuthSecret: "short" });
        assertProblem(message, "betterAuthSecret must be at least 32 characters", "pulumi config set --secret betterAuthSecret");
        assert.ok(!message.includes('"short"'), "the message must not echo the secret");
    });

    it("a kubeconfig that does not exist", async () => {
        const message = await previewFails("local", { kubeconfig: "/nonexistent/kubeconfig" });
        assertProblem(message, "kubeconfig /nonexistent/kubeconfig does not exist", "pulumi config set kubeconfig /path/to/kubeconfig --stack local");
    });

    it("autoscaling with a maximum below the replica count", async () => {
        const message = await previewFails("production", { ...PRODUCTION_SECRETS, autoscalingMaxReplicas: "1" });
        assertProblem(message, "autoscalingMaxReplicas (1) must be at least the replica counts", "pulumi config set autoscalingMaxReplicas 2 --stack production");
    });

    // The cases of issue 10, verbatim: each passed the preview before.
    for (const [key, value] of [["imageRegistry", "Registry.Example.COM/Foo"], ["imageRegistry", "https://ghcr.io/x"], ["namespace", "kube-system"]]) {
        it(`${key} "${value}"`, async () => {
            const message = await previewFails("local", { [key]: value, imageRegistryUsername: "ci", imageRegistryPassword: "token" });
            assertProblem(message, key, `pulumi config set ${key} `);
        });
    }
});

/** The problems parseConfig reports for a stack's real configuration with overrides (undefined removes a key). */
function problemsOf(stack: string, overrides: Record<string, string | undefined>): string[] {
    return parse(stack, overrides).problems;
}

function parse(stack: string, overrides: Record<string, string | undefined>): { config?: StackConfig; problems: string[] } {
    const raw: Record<string, string> = { ...stackConfig(stack), [`${PROJECT}:kubeconfig`]: FAKE_KUBECONFIG };
    for (const [key, value] of Object.entries(overrides)) {
        if (value === undefined) delete raw[`${PROJECT}:${key}`];
        else raw[`${PROJECT}:${key}`] = value;
    }
    try {
        return { config: parseConfig(raw, stack), problems: [] };
    } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return { problems: error.problems };
    }
}

/** The stack and the other settings under which a key's value is what decides. */
interface Setting {
    key: string;
    stack?: "local" | "production";
    with?: Record<string, string | undefined>;
    secret?: boolean;
}

function assertRejected(setting: Setting, value: string, why?: RegExp) {
    const stack = setting.stack ?? "local";
    const base = stack === "production" ? PRODUCTION_SECRETS : {};
    const problems = problemsOf(stack, { ...base, ...setting.with, [setting.key]: value });
    const line = problems.find((p) => p.startsWith(`${setting.key} `));
    assert.ok(line, `${setting.key}=${JSON.stringify(value)} must be rejected; problems: ${JSON.stringify(problems)}`);
    assert.ok(line.includes("pulumi config set") && line.includes(`--stack ${stack}`), `the problem must say how to fix it: ${line}`);
    if (why) assert.match(line, why);
    if (setting.secret) {
        for (const part of value.split("\n").filter((p) => p.length > 8 && !p.startsWith("-----"))) {
            assert.ok(!problems.join("\n").includes(part), `the message must not echo the secret: ${line}`);
        }
    }
}

function assertAccepted(setting: Setting, value: string) {
    const stack = setting.stack ?? "local";
    const base = stack === "production" ? PRODUCTION_SECRETS : {};
    assert.deepStrictEqual(problemsOf(stack, { ...base, ...setting.with, [setting.key]: value }), [], `${setting.key}=${JSON.stringify(value)} is valid`);
}

function cases(setting: Setting, bad: (string | [string, RegExp])[], good: string[]) {
    for (const entry of bad) {
        const [value, why] = typeof entry === "string" ? [entry, undefined] : entry;
        assertRejected(setting, value, why);
    }
    for (const value of good) assertAccepted(setting, value);
}

const HEX64 = "0123456789abcdef".repeat(4);
const withRegistryLogin = { imageRegistryUsername: "ci", imageRegistryPassword: "token" };
const withPemTls = { ingressTlsSecretName: undefined, ingressTlsCert: TLS_CERT, ingressTlsKey: TLS_KEY };

describe("every setting is checked by the grammar of what it becomes", () => {
    it("both real stacks are valid", () => {
        assert.deepStrictEqual(problemsOf("local", {}), []);
        assert.deepStrictEqual(problemsOf("production", PRODUCTION_SECRETS), []);
    });

    it("imageRegistry: a registry host[:port] and lowercase path, no scheme, tag or digest", () => {
        cases({ key: "imageRegistry", with: withRegistryLogin }, [
            ["Registry.Example.COM/Foo", /uppercase letters in the repository path \("Foo"\).*Fix: pulumi config set imageRegistry Registry.Example.COM\/foo /],
            ["https://ghcr.io/x", /must not start with https:\/\/.*Fix: pulumi config set imageRegistry ghcr.io\/x /],
            "http://localhost:5000/x",
            ["ghcr.io/Acme", /uppercase/],
            ["ghcr.io/x:tag", /must not have a tag/],
            ["ghcr.io/x@sha256:" + HEX64, /must not have a digest/],
            ["registry:99999/x", /invalid port/],
            "registry:0/x",
            ["ghcr.io//x", /empty path component/],
            "/ghcr.io/x",
            "ghcr.io/x y",
            "ghcr.io/-x",
            "ghcr.io/x-",
            "ghcr.io/a..b",
            "ghcr.io/a___b",
            "ghcr.io/a+b",
            "-ghcr.io/x",
            "ghcr_io.example/x",
            ["acme", /must start with the registry's host/],
            ["Acme/x", /uppercase/],
            ["acme/todo", /Docker Hub account/],
            ["ghcr.io/" + "a".repeat(230), /255/],
        ], [
            "ghcr.io/acme",
            "ghcr.io/example-org/todo-chatbot",
            "ghcr.io/acme/",
            "ghcr.io",
            "docker.io/acme",
            "Registry.Example.COM/foo",
            "localhost:5000/x",
            "localhost:5000",
            "localhost/x",
            "127.0.0.1:5000/todo",
            "[::1]:5000/todo",
            "registry.example.com/a__b/c.d/e--f/g_h",
        ]);
    });

    it("postgresImage: an image reference name[:tag][@digest]", () => {
        cases({ key: "postgresImage" }, [
            ["Postgres:15", /uppercase/],
            ["postgres:15@sha256:short", /invalid digest/],
            ["postgres:15@sha256:" + HEX64.toUpperCase(), /64 lowercase hex/],
            ["postgres@sha256:" + HEX64.slice(1), /64 lowercase hex/],
            ["postgres@md5:" + HEX64.slice(32), /algorithm/],
            ["postgres:", /invalid tag/],
            "postgres:-15",
            "postgres:.15",
            "postgres:" + "a".repeat(129),
            "postgres:15 ",
            "https://docker.io/library/postgres:15",
            "docker.io//postgres:15",
            "library/Postgres:15",
            ["Library/postgres:15", /registry host/],
            ":15",
            "postgres:15@",
            "registry:99999/postgres:15",
        ], [
            "postgres",
            "postgres:15",
            "postgres:15.10-bookworm",
            "postgres:15_RC1",
            "docker.io/library/postgres:15",
            "postgres@sha256:" + HEX64,
            "postgres:15@sha256:" + HEX64,
            "localhost:5000/postgres:15",
            "Registry.Example.COM/db/postgres:15",
            "[::1]:5000/postgres",
        ]);
    });

    it("namespace: a DNS label that is none of the cluster's own namespaces", () => {
        cases({ key: "namespace" }, [
            ["kube-system", /cluster's own namespaces.*Pod Security "restricted".*ResourceQuota/],
            ["default", /cluster's own/],
            "kube-public",
            "kube-node-lease",
            ["kube-foo", /reserved/],
            ["Default", /DNS label/],
            "-ns",
            "ns-",
            "todo_chatbot",
            "todo.chatbot",
            "todo chatbot",
            ["a".repeat(64), /at most 63/],
        ], ["todo-chatbot", "a", "kubeapp", "todo-chatbot-2", "a".repeat(63)]);
    });

    it("ingressHost: one lowercase DNS name, not a wildcard or an IP address", () => {
        cases({ key: "ingressHost", stack: "production" }, [
            ["Todo.Example.com", /lowercase.*Fix: pulumi config set ingressHost todo.example.com /],
            ["*.example.com", /wildcard/],
            ["todo.example.com.", /trailing dot/],
            ["1.2.3.4", /IP address/],
            "::1",
            "todo_app.example.com",
            "-todo.example.com",
            "todo..example.com",
            "https://todo.example.com",
            "todo.example.com:443",
            "todo.example.com/app",
            ["a".repeat(64) + ".example.com", /63/],
            Array(64).fill("abc").join("."),
        ], ["todo.example.com", "todo.local", "localhost", "xn--bcher-kva.example", "a-b.c-d.example", "123.example.com"]);
        // Checked while the Ingress is off too, so the mistake shows before it is switched on.
        assertRejected({ key: "ingressHost" }, "*.example.com", /wildcard/);
    });

    for (const [key, good] of [["ingressClassName", "nginx"], ["ingressTlsSecretName", "todo-chatbot-tls"], ["databaseStorageClass", "standard"]]) {
        it(`${key}: a Kubernetes object name (DNS subdomain)`, () => {
            cases({ key, stack: "production" }, [["Nginx", /object name/], "nginx_class", "-tls", "tls-", "tls.", ".tls", "a..b", "my tls", "a/b", ["a".repeat(254), /253/]], [
                good, "ingress.k8s.aws", "a", "a".repeat(253),
            ]);
        });
    }

    it("publicUrl: an http(s) origin, nothing more", () => {
        cases({ key: "publicUrl" }, [
            ["https://todo.example.com/app", /without a path, query or fragment/],
            "https://todo.example.com/?x=1",
            "https://todo.example.com?",
            "https://todo.example.com#top",
            "https://todo.example.com//",
            ["https://user:hunter2@todo.example.com", /user name or password/],
            ["ftp://todo.example.com", /http:\/\/ or https:\/\//],
            "todo.example.com",
            "https:todo.example.com",
            "https:/todo.example.com",
            "http://",
            ["https://todo.example.com:99999", /port/],
            "https://todo.example.com:0",
            "https://todo.example.com:",
            "https://todo .example.com",
            "https://todo.example.com\\app",
            "https://*.example.com",
            "https://todo.example.com.",
            "https://todo_app.example.com",
        ], ["https://todo.example.com", "https://todo.example.com/", "http://localhost:30000", "http://127.0.0.1:8080", "http://[::1]:3000", "https://Todo.Example.COM"]);
        const userinfo = problemsOf("local", { publicUrl: "https://user:hunter2@todo.example.com" }).join("\n");
        assert.ok(!userinfo.includes("hunter2"), "a password in a URL is not echoed");
    });

    it("publicUrl is used as the origin browsers send: lowercase host, no default port, no slash", () => {
        for (const [url, origin] of [["https://Todo.Example.COM/", "https://todo.example.com"], ["https://todo.example.com:443", "https://todo.example.com"], ["http://localhost:30000/", "http://localhost:30000"]]) {
            assert.strictEqual(parse("local", { publicUrl: url }).config?.publicUrl, origin);
        }
    });

    for (const key of ["quotaRequestsCpu", "quotaLimitsCpu"]) {
        it(`${key}: a positive Kubernetes quantity of CPU`, () => {
            cases({ key }, QUANTITY_BAD, ["3", "1.5", "500m", "1e3", "1E2", "+2", ".5", "2.", "100k"]);
        });
    }
    for (const key of ["quotaRequestsMemory", "quotaLimitsMemory", "databaseStorageSize"]) {
        it(`${key}: a positive Kubernetes quantity of bytes`, () => {
            cases({ key }, [...QUANTITY_BAD, ["500m", /thousandths.*Fix: pulumi config set \w+ 500Mi /], "1u", "1n", "1e-3"], ["1.5Gi", "1Gi", "512Mi", "1e9", "1G", "1k", "100Ti", "0.5Gi", "+8Gi"]);
        });
    }

    it("dockerHost: a Docker host URL (unix, tcp, ssh, npipe)", () => {
        cases({ key: "dockerHost" }, [
            ["192.168.49.2:2376", /Docker host URL/],
            "http://192.168.49.2:2376",
            "tcp://",
            ["tcp://192.168.49.2:99999", /port/],
            "tcp://192.168.49.2:2376/path",
            "tcp://192.168.49.2:2376?x",
            "tcp://192.168.49.2:2376 ",
            "unix://",
            "unix://docker.sock",
            "npipe://docker_engine",
            "ssh://user:hunter2@host",
        ], ["unix:///var/run/docker.sock", "tcp://192.168.49.2:2376", "tcp://docker:2375", "ssh://user@host", "ssh://user@host:2222", "npipe:////./pipe/docker_engine"]);
        assert.ok(!problemsOf("local", { dockerHost: "ssh://user:hunter2@host" }).join("\n").includes("hunter2"));
    });

    it("openrouterModel: vendor/model", () => {
        cases({ key: "openrouterModel" }, ["gpt-4o", "openai/", "/gpt-4o", "openai//gpt-4o", "openai/gpt 4o", " openai/gpt-4o"], [
            "openai/gpt-4o-mini", "meta-llama/llama-3.1-8b-instruct:free", "openrouter/auto", "anthropic/claude-3.5-sonnet",
        ]);
    });

    it("kubeContext, imageRegistryUsername: names used verbatim", () => {
        cases({ key: "databaseUser" }, [
            ["Todo", /lowercase.*Fix: pulumi config set databaseUser todo /], ["todo-app", /Fix: pulumi config set databaseUser todo_app /],
            "1todo", "todo app", ["pg_todo", /reserved/], ["a".repeat(64), /63/],
        ], ["todo", "todo_b", "_app", "app2"]);
        cases({ key: "kubeContext" }, [" minikube", "minikube\n"], ["minikube", "arn:aws:eks:eu-west-1:123456789012:cluster/prod", "gke_project_zone_name"]);
        cases({ key: "imageRegistryUsername", with: { imageRegistry: "ghcr.io/acme", imageRegistryPassword: "token" } }, ["ci user", "ci:bot"], ["ci", "example-org-ci", "bot@example.com"]);
    });

    it("replica counts and ports: whole numbers written as such", () => {
        for (const value of ["2.0", "0x10", " 2", "1e1"]) assertRejected({ key: "frontendReplicas" }, value, /whole number/);
        assertRejected({ key: "frontendNodePort" }, "3e4", /whole number/);
    });

    it("dockerCertPath and kubeconfig: the files they name", () => {
        assertRejected({ key: "dockerCertPath" }, "/nonexistent/certs", /does not exist/);
        assertRejected({ key: "dockerCertPath" }, FAKE_KUBECONFIG, /not a directory/);
        assertRejected({ key: "kubeconfig" }, "/", /not a file/);
    });

    it("monitoringNamespace, monitoringChartRepository, postgresExporterImage: a namespace of its own, a Helm repository, an image", () => {
        cases({ key: "monitoringNamespace" }, [["Monitoring", /Fix: pulumi config set monitoringNamespace monitoring /], "kube-monitoring", "default", ["todo-chatbot", /already the app's/]], ["monitoring", "observability"]);
        cases({ key: "monitoringNamespace", with: { backups: "true" } }, [["todo-chatbot-backups", /already the app's or its backups'/]], []);
        cases({ key: "monitoringChartRepository" }, [
            ["prometheus-community.github.io/helm-charts", /https:\/\/, http:\/\/ or oci:\/\//], "https://user:pw@charts.example.com", "https://charts.example.com/?x=1", "https://bad_host/charts",
        ], ["https://prometheus-community.github.io/helm-charts", "http://127.0.0.1:8080", "oci://ghcr.io/prometheus-community/charts", "https://mirror.example.com/helm/"]);
        cases({ key: "postgresExporterImage" }, ["quay.io/Prometheus/exporter:1", "exporter:"], ["quay.io/prometheuscommunity/postgres-exporter:v0.18.1", "registry.local:5000/pg-exporter@sha256:" + HEX64]);
    });

    it("secrets: checked by what they become, never echoed", () => {
        const secret = (key: string, extra: Record<string, string | undefined> = {}): Setting => ({ key, secret: true, with: extra });
        cases(secret("openrouterApiKey"), [["sk-or-v1-abcdef0123456789\n", /whitespace/], "sk-or-v1 abcdef0123456789"], ["sk-or-v1-abcdef0123456789"]);
        cases(secret("imageRegistryPassword", { imageRegistry: "ghcr.io/acme", imageRegistryUsername: "ci" }), [["ghp_token0123456789\n", /line breaks/]], ["ghp_token0123456789", "pass word with spaces"]);
        cases(secret("databasePassword"), [["p@ss/word:123456789", /letters, digits/], "percent%2Fencoded", "with spaces in it"], ["Abc-123_456.789~xyz"]);
    });

    it("ingressTlsCert and ingressTlsKey: PEM blocks of the right type, a pair, for the host", () => {
        const tls = (key: string): Setting => ({ key, stack: "production", secret: true, with: withPemTls });
        const otherKey = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
        const body = TLS_CERT.split("\n")[1];
        cases(tls("ingressTlsCert"), [
            ["-----BEGIN CERTIFICATE-----", /incomplete/],
            ["not a certificate at all", /not PEM/],
            [TLS_KEY, /private key/],
            [TLS_CERT + TLS_KEY, /private key/],
            "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n",
            [`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`, /not an X.509/],
        ], [TLS_CERT, TLS_CERT + TLS_CERT, `subject=CN = todo.example.com\n${TLS_CERT}`]);
        cases(tls("ingressTlsKey"), [
            ["-----BEGIN PRIVATE KEY-----", /incomplete/],
            ["not a key", /not PEM/],
            [TLS_CERT, /holds a certificate/],
            [TLS_KEY + TLS_KEY, /exactly one/],
            ["-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n", /encrypted/],
            [`-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`, /not a valid private key/],
            [otherKey, /not the private key of the certificate/],
        ], [TLS_KEY, crypto.createPrivateKey(TLS_KEY).export({ type: "sec1", format: "pem" }).toString()]);
        assertRejected({ key: "ingressTlsCert", stack: "production", secret: true, with: { ...withPemTls, ingressHost: "other.example.com" } }, TLS_CERT, /not valid for ingressHost/);
        assertRejected({ key: "ingressTlsKey", stack: "production", secret: true, with: { ...withPemTls, ingressTlsKey: undefined } }, "", /required when ingressTlsCert is set/);
        assert.match(tlsPairProblem(TLS_CERT, TLS_KEY, "todo.example.com", new Date("2200-01-01")) ?? "", /ingressTlsCert expired on/);
        assert.strictEqual(tlsPairProblem(TLS_CERT, TLS_KEY, "todo.example.com"), undefined);
    });
});

/** Not quantities, or not a positive amount: rejected for every quota and size. */
const QUANTITY_BAD: (string | [string, RegExp])[] = [
    ["1GB", /without 'B'.*Fix: pulumi config set \w+ 1Gi /],
    "500MB",
    ["-1", /positive/],
    "-1Gi",
    ["0", /more than 0/],
    "0Gi",
    "0.0",
    "1.5 Gi",
    "Gi",
    "1gi",
    "1K",
    "1Kb",
    "1e",
    "1e3.5",
    "1..5",
    ".",
    "abc",
    "1Gib",
    "1,5Gi",
    " 1Gi",
];

describe("renderYamlToDirectory", () => {
    it("must lie outside the project: rendered Secrets hold plain base64", () => {
        for (const inside of [REPO_ROOT, path.join(REPO_ROOT, "rendered"), "rendered", "./out/manifests"]) {
            assert.throws(
                () => parseConfig({ ...stackConfig("local"), [`${PROJECT}:renderYamlToDirectory`]: inside }, "local"),
                /renderYamlToDirectory ".*" lies inside the project.*Fix: pulumi config set renderYamlToDirectory \/tmp\/todo-chatbot-manifests --stack local/,
            );
        }
        const outside = fs.mkdtempSync(path.join(os.tmpdir(), "todo-render-"));
        assert.strictEqual(parseConfig({ ...stackConfig("local"), [`${PROJECT}:renderYamlToDirectory`]: outside }, "local").kubernetes.renderYamlToDirectory, outside);
    });
});
