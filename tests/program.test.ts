// The resource graph of each stack, built from the stacks' real configuration files.
import * as assert from "assert";
import * as path from "path";
import { hashBuildContext } from "../lib/contextHash";
import { FAKE_KUBECONFIG, isSecretValue, plain, PRODUCTION_SECRETS, ProgramRun, Registration, REPO_ROOT, runProgram } from "./harness";
// A real certificate and key: the configuration check parses both and checks they are a pair.
import { TLS_CERT, TLS_KEY } from "./config.test";

const T = {
    namespace: "kubernetes:core/v1:Namespace",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    quota: "kubernetes:core/v1:ResourceQuota",
    limitRange: "kubernetes:core/v1:LimitRange",
    secret: "kubernetes:core/v1:Secret",
    service: "kubernetes:core/v1:Service",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    chart: "kubernetes:helm.sh/v4:Chart",
    image: "docker:index/image:Image",
    password: "random:index/randomPassword:RandomPassword",
    k8sProvider: "pulumi:providers:kubernetes",
    dockerProvider: "pulumi:providers:docker",
};

const contextTag = (app: string) => hashBuildContext(path.join(REPO_ROOT, "app", app)).slice(0, 16);
const chartValues = (run: ProgramRun) => plain(run.one(T.chart, "todo-chatbot").inputs.values);
const appSecretData = (run: ProgramRun): Record<string, string> => plain(run.one(T.secret, "app-secrets").inputs.stringData);
const policy = (run: ProgramRun, name: string) => run.one(T.networkPolicy, `platform-${name}`).inputs.spec;

function assertEveryChildHasParentAndProvider(run: ProgramRun) {
    const components = new Set(run.registrations.filter((r) => r.type.startsWith("todo-chatbot:")).map((r) => r.urn));
    for (const r of run.registrations) {
        if (r.type.startsWith("pulumi:providers:") || r.type.startsWith("todo-chatbot:")) continue;
        assert.ok(components.has(r.parent), `${r.type} ${r.name} must be a child of a component, its parent is ${r.parent || "the stack"}`);
        if (r.type.startsWith("kubernetes:") || r.type.startsWith("docker:")) {
            assert.ok(r.provider, `${r.type} ${r.name} must get its provider explicitly`);
        }
    }
    for (const r of run.registrations.filter((r) => r.type.startsWith("todo-chatbot:"))) {
        assert.match(r.type, /^todo-chatbot:[a-z]+:[A-Z][A-Za-z]+$/, `component type token ${r.type} must be namespaced`);
    }
}

function assertRestrictedPod(podSpec: any, what: string) {
    const pod = podSpec.securityContext;
    assert.strictEqual(pod.runAsNonRoot, true, `${what}: runAsNonRoot`);
    assert.ok(pod.runAsUser > 0, `${what}: fixed non-root UID`);
    assert.strictEqual(pod.seccompProfile.type, "RuntimeDefault", `${what}: seccomp`);
    for (const c of podSpec.containers) {
        assert.strictEqual(c.securityContext.allowPrivilegeEscalation, false, `${what}/${c.name}: allowPrivilegeEscalation`);
        assert.deepStrictEqual(c.securityContext.capabilities.drop, ["ALL"], `${what}/${c.name}: capabilities`);
        assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true, `${what}/${c.name}: readOnlyRootFilesystem`);
        assert.ok(c.resources.requests && c.resources.limits, `${what}/${c.name}: resources`);
        assert.ok(c.resources.requests["ephemeral-storage"] && c.resources.limits["ephemeral-storage"], `${what}/${c.name}: ephemeral-storage`);
    }
    for (const v of podSpec.volumes ?? []) if (v.emptyDir) assert.ok(v.emptyDir.sizeLimit, `${what}: emptyDir ${v.name} without sizeLimit`);
}

describe("stack local (Minikube)", function () {
    this.timeout(60_000);
    let run: ProgramRun;
    before(async () => {
        run = await runProgram("local");
    });

    it("uses one explicit Kubernetes provider for the minikube context and one Docker provider", () => {
        const [k8s] = run.ofType(T.k8sProvider);
        assert.strictEqual(run.ofType(T.k8sProvider).length, 1);
        assert.strictEqual(k8s.inputs.context, "minikube");
        assert.strictEqual(k8s.inputs.kubeconfig, FAKE_KUBECONFIG);
        assert.strictEqual(run.ofType(T.dockerProvider).length, 1);
    });

    it("passes the Docker daemon of `minikube docker-env` to the Docker provider explicitly", async () => {
        const withMinikubeEnv = await runProgram("local", {}, {
            env: { DOCKER_HOST: "tcp://192.168.49.2:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/home/u/.minikube/certs" },
        });
        const [provider] = withMinikubeEnv.ofType(T.dockerProvider);
        assert.strictEqual(provider.inputs.host, "tcp://192.168.49.2:2376");
        assert.strictEqual(provider.inputs.certPath, "/home/u/.minikube/certs");
    });

    it("creates the namespace with Pod Security Admission at restricted", () => {
        const ns = run.one(T.namespace, "platform-namespace").inputs.metadata;
        assert.strictEqual(ns.name, "todo-chatbot");
        for (const mode of ["enforce", "audit", "warn"]) {
            assert.strictEqual(ns.labels[`pod-security.kubernetes.io/${mode}`], "restricted", mode);
        }
    });

    it("denies all traffic by default and allows exactly the app's flows", () => {
        const names = run.ofType(T.networkPolicy).map((r) => r.name).sort();
        assert.deepStrictEqual(names, ["platform-allow-dns", "platform-backend", "platform-database", "platform-default-deny-all", "platform-frontend"]);

        const deny = policy(run, "default-deny-all");
        assert.deepStrictEqual(deny.podSelector, {});
        assert.deepStrictEqual(deny.policyTypes, ["Ingress", "Egress"]);
        assert.deepStrictEqual(deny.ingress ?? [], []);
        assert.deepStrictEqual(deny.egress ?? [], []);

        const dns = policy(run, "allow-dns");
        assert.deepStrictEqual(dns.egress[0].ports.map((p: any) => `${p.port}/${p.protocol}`), ["53/UDP", "53/TCP"]);

        const backend = policy(run, "backend");
        assert.deepStrictEqual(backend.ingress, [{ from: [{ podSelector: { matchLabels: appLabels("frontend") } }], ports: [{ port: 8000 }] }]);
        assert.deepStrictEqual(backend.egress, [{ to: [{ podSelector: { matchLabels: databaseLabels } }], ports: [{ port: 5432 }] }],
            "offline assistant: the backend talks to nothing but the database");

        const frontend = policy(run, "frontend");
        assert.deepStrictEqual(frontend.ingress, [{ ports: [{ port: 3000 }] }]);
        assert.deepStrictEqual(frontend.egress, [
            { to: [{ podSelector: { matchLabels: appLabels("backend") } }], ports: [{ port: 8000 }] },
            { to: [{ podSelector: { matchLabels: databaseLabels } }], ports: [{ port: 5432 }] },
        ]);

        const database = policy(run, "database");
        assert.deepStrictEqual(database.policyTypes, ["Ingress"]);
        assert.deepStrictEqual(database.ingress[0].from, [
            { podSelector: { matchLabels: appLabels("frontend") } },
            { podSelector: { matchLabels: appLabels("backend") } },
        ]);
    });

    it("sizes the ResourceQuota and LimitRange for a 4-CPU/8-GiB Minikube", () => {
        const hard = run.one(T.quota, "platform-quota").inputs.spec.hard;
        assert.strictEqual(hard["requests.cpu"], "3");
        assert.strictEqual(hard["requests.memory"], "6Gi");
        assert.strictEqual(hard["limits.memory"], "8Gi");
        const [limits] = run.one(T.limitRange, "platform-limits").inputs.spec.limits;
        assert.ok(limits.default && limits.defaultRequest && limits.max);
        for (const bound of ["defaultRequest", "default", "max"]) {
            assert.ok(limits[bound]["ephemeral-storage"], `a container without ephemeral-storage gets a ${bound}`);
        }
    });

    it("runs PostgreSQL as a StatefulSet with a volume, a headless Service, probes and a restricted context", () => {
        const sts = run.one(T.statefulSet, "postgresql").inputs.spec;
        assert.strictEqual(sts.replicas, 1);
        assert.strictEqual(sts.volumeClaimTemplates[0].spec.resources.requests.storage, "1Gi");
        assert.deepStrictEqual(sts.selector.matchLabels, databaseLabels);
        const pod = sts.template.spec;
        assertRestrictedPod(pod, "postgresql");
        const [container] = pod.containers;
        for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) assert.ok(container[probe].exec, probe);

        // The password is a read-only file for the image's POSTGRES_PASSWORD_FILE, never an environment variable.
        assert.strictEqual(container.envFrom, undefined);
        const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
        assert.ok(!("POSTGRES_PASSWORD" in env));
        const mount = container.volumeMounts.find((m: any) => `${m.mountPath}/POSTGRES_PASSWORD` === env.POSTGRES_PASSWORD_FILE);
        assert.ok(mount?.readOnly, "POSTGRES_PASSWORD_FILE is on a read-only mount");
        const volume = pod.volumes.find((v: any) => v.name === mount.name);
        assert.strictEqual(volume.secret.defaultMode, 0o440);
        const initCredentials = run.one(T.secret, "postgresql-init-credentials").inputs;
        assert.deepStrictEqual(Object.keys(plain(initCredentials.stringData)).sort(), ["POSTGRES_PASSWORD", "POSTGRES_USER"]);
        assert.deepStrictEqual(volume.secret.items, [{ key: "POSTGRES_PASSWORD", path: "POSTGRES_PASSWORD" }], "only the password is mounted");
        // The owner role comes from the Secret written once, so a later databaseUser change (a rotation) does not roll the pod.
        const user = container.env.find((e: any) => e.name === "POSTGRES_USER");
        assert.strictEqual(user.valueFrom.secretKeyRef.key, "POSTGRES_USER");
        assert.strictEqual(plain(initCredentials.stringData).POSTGRES_USER, "todo");

        const svc = run.one(T.service, "postgresql-headless").inputs;
        assert.strictEqual(svc.spec.clusterIP, "None");
        assert.strictEqual(sts.serviceName, svc.metadata.name);
    });

    it("puts every app secret in one Secret, all values secret, the database URL pointing at the in-cluster PostgreSQL", () => {
        const stringData = run.one(T.secret, "app-secrets").inputs.stringData;
        assert.ok(isSecretValue(stringData), "the Secret's data must be secret");
        const data = appSecretData(run);
        assert.deepStrictEqual(Object.keys(data).sort(), ["BETTER_AUTH_SECRET", "DATABASE_URL", "OPENROUTER_API_KEY"]);

        const url = new URL(data.DATABASE_URL);
        assert.strictEqual(url.hostname, "postgresql.todo-chatbot.svc.cluster.local");
        assert.strictEqual(url.username, "todo", "the default databaseUser");
        assert.strictEqual(url.password, run.generatedSecrets.find((s) => s.startsWith("generated-postgresql-password")));
        assert.strictEqual(data.BETTER_AUTH_SECRET, run.generatedSecrets.find((s) => s.startsWith("generated-app-secrets-better-auth")));
        assert.strictEqual(data.OPENROUTER_API_KEY, "", "offline mode has no key");
    });

    it("generates the auth secret and database password only when they are not configured", async () => {
        const configured = await runProgram("local", { betterAuthSecret: "s".repeat(40), databasePassword: "configured-db-password" });
        assert.strictEqual(configured.ofType(T.password).length, 0);
        const data = appSecretData(configured);
        assert.strictEqual(data.BETTER_AUTH_SECRET, "s".repeat(40));
        assert.strictEqual(new URL(data.DATABASE_URL).password, "configured-db-password");
        const rotated = await runProgram("local", { databaseUser: "todo_b" });
        assert.strictEqual(new URL(appSecretData(rotated).DATABASE_URL).username, "todo_b", "the app connects as databaseUser");
        assert.deepStrictEqual(run.ofType(T.password).map((r) => r.name).sort(), ["app-secrets-better-auth-secret", "postgresql-password"]);
    });

    it("builds both images into the cluster's daemon, tagged by their build context, pushing nothing", () => {
        for (const app of ["frontend", "backend"]) {
            const image = run.one(T.image, `${app}-image`).inputs;
            assert.strictEqual(image.imageName, `todo-chatbot-${app}:${contextTag(app)}`);
            assert.strictEqual(image.skipPush, true);
            assert.strictEqual(image.registry, undefined);
            assert.strictEqual(image.buildOnPreview, true);
            assert.strictEqual(image.build.context, path.join(REPO_ROOT, "app", app));
        }
    });

    it("deploys the chart with the images, one replica each, a NodePort, the program's Secret and no registry pulls", () => {
        const chart = run.one(T.chart, "todo-chatbot");
        assert.strictEqual(plain(chart.inputs.chart), path.join(REPO_ROOT, "charts", "todo-chatbot"));
        assert.strictEqual(plain(chart.inputs.namespace), "todo-chatbot");
        const values = chartValues(run);
        const secret = run.one(T.secret, "app-secrets");
        assert.ok(values.existingSecret.startsWith("app-secrets-"), "the chart uses the program's Secret");
        assert.ok(chart.dependencies.includes(secret.urn), "the chart depends on the Secret");
        const sts = run.one(T.statefulSet, "postgresql");
        assert.ok(chart.dependencies.includes(sts.urn), "the chart waits for the database (its init container migrates it)");

        for (const app of ["frontend", "backend"]) {
            assert.deepStrictEqual(values[app].image, { repository: `todo-chatbot-${app}`, tag: contextTag(app), pullPolicy: "Never" });
            assert.strictEqual(values[app].replicaCount, 1);
            assert.strictEqual(values[app].podDisruptionBudget.enabled, false);
            assert.strictEqual(values[app].autoscaling.enabled, false);
            assert.deepStrictEqual(values[app].resources, {
                requests: { cpu: "100m", memory: "192Mi", "ephemeral-storage": "128Mi" },
                limits: { cpu: "500m", memory: "384Mi", "ephemeral-storage": "512Mi" },
            });
        }
        assert.deepStrictEqual(values.frontend.service, { type: "NodePort", nodePort: 30000 });
        assert.strictEqual(values.ingress.enabled, false);
        assert.strictEqual(values.networkPolicy.enabled, false, "the program owns the NetworkPolicies");
    });

    it("parents every resource in a component and passes providers explicitly", () => assertEveryChildHasParentAndProvider(run));

    it("exports how to open the app, the namespace, both images and a kubectl hint", () => {
        assert.strictEqual(run.outputs.namespace, "todo-chatbot");
        assert.strictEqual(run.outputs.frontendImage, `todo-chatbot-frontend:${contextTag("frontend")}`);
        assert.strictEqual(run.outputs.backendImage, `todo-chatbot-backend:${contextTag("backend")}`);
        assert.strictEqual(run.outputs.openFrontend, "minikube service todo-chatbot-frontend --namespace todo-chatbot --url");
        assert.strictEqual(run.outputs.frontendUrl, "http://localhost:30000");
        assert.match(String(run.outputs.kubectlHint), /^kubectl --context minikube --namespace todo-chatbot get pods/);
    });
});

describe("stack production", function () {
    this.timeout(60_000);
    let run: ProgramRun;
    before(async () => {
        run = await runProgram("production", PRODUCTION_SECRETS);
    });

    it("runs at least two replicas of each app with PodDisruptionBudgets and HorizontalPodAutoscalers", () => {
        const values = chartValues(run);
        for (const app of ["frontend", "backend"]) {
            assert.ok(values[app].replicaCount >= 2, `${app} replicas`);
            assert.deepStrictEqual(values[app].podDisruptionBudget, { enabled: true, minAvailable: 1 });
            assert.strictEqual(values[app].autoscaling.enabled, true);
            assert.strictEqual(values[app].autoscaling.minReplicas, values[app].replicaCount);
            assert.strictEqual(values[app].autoscaling.maxReplicas, 6);
        }
    });

    it("serves the frontend through an Ingress with TLS behind a ClusterIP Service", () => {
        const values = chartValues(run);
        assert.deepStrictEqual(values.frontend.service, { type: "ClusterIP" });
        assert.deepStrictEqual(values.ingress, {
            enabled: true, className: "nginx", host: "todo.example.com", tls: { enabled: true, secretName: "todo-chatbot-tls" },
        });
        assert.strictEqual(values.frontend.config.betterAuthUrl, "https://todo.example.com");
    });

    it("pushes both images to the configured registry with its credentials", () => {
        for (const app of ["frontend", "backend"]) {
            const image = run.one(T.image, `${app}-image`).inputs;
            assert.strictEqual(image.imageName, `ghcr.io/example-org/todo-chatbot/todo-chatbot-${app}:${contextTag(app)}`);
            assert.strictEqual(image.skipPush, false);
            assert.strictEqual(image.registry.server, "ghcr.io/example-org/todo-chatbot");
            assert.strictEqual(image.registry.username, "example-org-ci");
            assert.ok(isSecretValue(image.registry.password), "the registry password stays secret");
            assert.strictEqual(chartValues(run)[app].image.pullPolicy, "IfNotPresent");
        }
    });

    it("uses the external database from config and creates no in-cluster PostgreSQL", () => {
        assert.strictEqual(run.ofType(T.statefulSet).length, 0);
        assert.strictEqual(run.ofType(T.password).filter((r) => r.name.startsWith("postgresql")).length, 0);
        const data = appSecretData(run);
        assert.strictEqual(data.DATABASE_URL, PRODUCTION_SECRETS.databaseUrl);
        assert.strictEqual(data.OPENROUTER_API_KEY, PRODUCTION_SECRETS.openrouterApiKey);
        assert.deepStrictEqual(run.ofType(T.networkPolicy).map((r) => r.name).sort(),
            ["platform-allow-dns", "platform-backend", "platform-default-deny-all", "platform-frontend"]);
        assert.deepStrictEqual(policy(run, "backend").egress, [
            { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 5432 }] },
            { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 443 }] },
        ], "online assistant: the backend reaches the database and the model provider over HTTPS");
    });

    it("stores a TLS certificate from config in its own Secret when no Secret name is given", async () => {
        const withCert = await runProgram("production", {
            ...PRODUCTION_SECRETS, ingressTlsSecretName: "", ingressTlsCert: TLS_CERT, ingressTlsKey: TLS_KEY,
        });
        const tls = withCert.one(T.secret, "app-secrets-ingress-tls").inputs;
        assert.strictEqual(tls.type, "kubernetes.io/tls");
        assert.ok(isSecretValue(tls.stringData));
        assert.strictEqual(plain(tls.stringData)["tls.key"], TLS_KEY);
        assert.match(chartValues(withCert).ingress.tls.secretName, /^app-secrets-ingress-tls-/, "the Ingress uses that Secret");
    });

    it("parents every resource in a component and passes providers explicitly", () => assertEveryChildHasParentAndProvider(run));
});

describe("secrets", function () {
    this.timeout(60_000);

    for (const stack of ["local", "production"]) {
        it(`never appear in a stack output (${stack})`, async () => {
            const configured = { ...PRODUCTION_SECRETS, betterAuthSecret: "configured-auth-secret-never-shown-0123456789" };
            const run = await runProgram(stack, configured);
            const secretValues = [...Object.values(configured), ...run.generatedSecrets, "never-shown"];
            const exported = JSON.stringify(run.outputs);
            for (const value of secretValues) assert.ok(!exported.includes(value), `output leaks ${value}`);
            assert.ok(Object.keys(run.outputs).length >= 5);
        });
    }

    it("are marked secret wherever they enter a resource", async () => {
        const run = await runProgram("local");
        const leaks: string[] = [];
        const generated = run.generatedSecrets;
        const visit = (value: unknown, where: string, r: Registration) => {
            if (isSecretValue(value)) return;
            if (typeof value === "string" && generated.some((s) => value.includes(s))) leaks.push(`${r.type} ${r.name} ${where}`);
            if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) visit(v, `${where}.${k}`, r);
        };
        for (const r of run.registrations) if (r.type !== T.password) visit(r.inputs, "", r);
        assert.deepStrictEqual(leaks, []);
    });
});

const appLabels = (component: string) => ({
    "app.kubernetes.io/name": "todo-chatbot", "app.kubernetes.io/instance": "todo-chatbot", "app.kubernetes.io/component": component,
});
const databaseLabels = {
    "app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": "todo-chatbot", "app.kubernetes.io/component": "database",
};
