// Bad configuration fails at preview, before any resource is registered, naming the key
// and the exact command that fixes it.
import * as assert from "assert";
import { PRODUCTION_SECRETS, ProgramRun, runProgram } from "./harness";

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
});
