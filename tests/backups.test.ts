// Scheduled backups (issue 13): the Backups component under Pulumi's mocks, with the stacks' real
// configuration, and the validation of its settings. The CronJob's script itself runs for real
// against PostgreSQL in tests/operations/backup-job.test.mjs, and on the CI cluster in
// tests/deploy/backup.test.mjs.
import * as assert from "assert";
import { BACKUP_SECRETS_DIR, backupPodLabels } from "../components/backups";
import { ConfigError, cronScheduleProblem, parseConfig, PROJECT } from "../config";
import { databasePodLabels } from "../lib/labels";
import { FAKE_KUBECONFIG, isSecretValue, plain, PRODUCTION_SECRETS, ProgramRun, Registration, runProgram, stackConfig } from "./harness";

const T = {
    component: "todo-chatbot:data:Backups",
    namespace: "kubernetes:core/v1:Namespace",
    cronJob: "kubernetes:batch/v1:CronJob",
    pvc: "kubernetes:core/v1:PersistentVolumeClaim",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    secret: "kubernetes:core/v1:Secret",
};

/** retainOnDelete of each registration (type::name), which the harness does not record: read off the mock monitor's requests. */
const retainOnDelete = new Map<string, boolean>();
const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
function recordRetainOnDelete() {
    const originalRegister = MockMonitor.prototype.registerResource;
    before(() => {
        MockMonitor.prototype.registerResource = function (req: any, callback: any) {
            retainOnDelete.set(`${req.getType()}::${req.getName()}`, req.getRetainondelete() === true);
            return originalRegister.call(this, req, callback);
        };
    });
    after(() => {
        MockMonitor.prototype.registerResource = originalRegister;
    });
}
const retained = (r: Registration) => retainOnDelete.get(`${r.type}::${r.name}`);

const BACKUPS_ON = { backups: "true" };
const podSpecOf = (run: ProgramRun) => run.one(T.cronJob, "backups-cronjob").inputs.spec.jobTemplate.spec.template.spec;
const policy = (run: ProgramRun, name: string) => run.one(T.networkPolicy, `backups-${name}`).inputs;

/**
 * The Pod Security Standard `restricted` (latest), every control of it that a pod spec can break:
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
function assertRestricted(pod: any, what: string) {
    const allowedVolumes = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
    for (const volume of pod.volumes ?? []) {
        const kinds = Object.keys(volume).filter((k) => k !== "name");
        assert.ok(kinds.every((k) => allowedVolumes.includes(k)), `${what}: volume ${volume.name} of type ${kinds}`);
        if (volume.emptyDir) assert.ok(volume.emptyDir.sizeLimit, `${what}: emptyDir ${volume.name} without sizeLimit`);
    }
    for (const host of ["hostNetwork", "hostPID", "hostIPC"]) assert.ok(!pod[host], `${what}: ${host}`);
    assert.strictEqual(pod.securityContext.runAsNonRoot, true, `${what}: runAsNonRoot`);
    assert.ok(pod.securityContext.runAsUser > 0, `${what}: runAsUser`);
    assert.strictEqual(pod.securityContext.seccompProfile.type, "RuntimeDefault", `${what}: seccomp`);
    assert.ok(!pod.securityContext.sysctls, `${what}: sysctls`);
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const sc = c.securityContext;
        assert.ok(!sc.privileged, `${what}/${c.name}: privileged`);
        assert.strictEqual(sc.allowPrivilegeEscalation, false, `${what}/${c.name}: allowPrivilegeEscalation`);
        assert.deepStrictEqual(sc.capabilities.drop, ["ALL"], `${what}/${c.name}: capabilities.drop`);
        assert.ok((sc.capabilities.add ?? []).every((cap: string) => cap === "NET_BIND_SERVICE"), `${what}/${c.name}: capabilities.add`);
        assert.ok(sc.runAsUser === undefined || sc.runAsUser > 0, `${what}/${c.name}: runAsUser`);
        assert.ok(!sc.procMount || sc.procMount === "Default", `${what}/${c.name}: procMount`);
        assert.ok(!(c.ports ?? []).some((p: any) => p.hostPort), `${what}/${c.name}: hostPort`);
        // Not in the standard, but this project's rule for every container (docs/DECISIONS.md).
        assert.strictEqual(sc.readOnlyRootFilesystem, true, `${what}/${c.name}: readOnlyRootFilesystem`);
        for (const bound of ["requests", "limits"]) {
            for (const resource of ["cpu", "memory", "ephemeral-storage"]) {
                assert.ok(c.resources?.[bound]?.[resource], `${what}/${c.name}: ${bound}.${resource}`);
            }
        }
    }
}

describe("scheduled backups", function () {
    this.timeout(60_000);
    recordRetainOnDelete();

    it("are off unless switched on: neither stack has them", async () => {
        for (const [stack, secrets] of [["local", {}], ["production", PRODUCTION_SECRETS]] as const) {
            const run = await runProgram(stack, secrets);
            assert.strictEqual(run.ofType(T.component).length, 0, stack);
            assert.strictEqual(run.ofType(T.cronJob).length, 0, stack);
            assert.strictEqual(run.outputs.backupNamespace, null, stack);
        }
    });

    describe("switched on in the local stack (defaults)", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram("local", BACKUPS_ON);
        });

        it("is one Backups component whose children all have it as parent and get the provider explicitly", () => {
            const [component] = run.ofType(T.component);
            assert.ok(component, "a todo-chatbot:data:Backups component");
            assert.strictEqual(run.ofType(T.component).length, 1);
            const children = run.registrations.filter((r) => r.parent === component.urn);
            assert.deepStrictEqual(children.map((r) => `${r.type}::${r.name}`).sort(), [
                "kubernetes:batch/v1:CronJob::backups-cronjob",
                "kubernetes:core/v1:Namespace::backups-namespace",
                "kubernetes:core/v1:PersistentVolumeClaim::backups-volume",
                "kubernetes:core/v1:Secret::backups-credentials",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy::backups-database-from-backups",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy::backups-default-deny-all",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy::backups-postgresql-backup",
            ]);
            const k8sProvider = run.ofType("pulumi:providers:kubernetes")[0];
            for (const child of children) assert.ok(child.provider.startsWith(k8sProvider.urn), `${child.name} gets the cluster's provider`);
        });

        it("has a namespace of its own under Pod Security restricted, so its volume can outlive the app's namespace", () => {
            const ns = run.one(T.namespace, "backups-namespace").inputs.metadata;
            assert.strictEqual(ns.name, "todo-chatbot-backups");
            for (const mode of ["enforce", "audit", "warn"]) assert.strictEqual(ns.labels[`pod-security.kubernetes.io/${mode}`], "restricted");
            assert.strictEqual(ns.labels["pod-security.kubernetes.io/enforce-version"], "latest");
        });

        it("runs pg_dump in custom format daily at 03:00 UTC, one at a time, with the database's own image", () => {
            const spec = run.one(T.cronJob, "backups-cronjob").inputs.spec;
            assert.strictEqual(spec.schedule, "0 3 * * *");
            assert.strictEqual(spec.timeZone, "Etc/UTC");
            assert.strictEqual(spec.concurrencyPolicy, "Forbid");
            const [container] = podSpecOf(run).containers;
            assert.strictEqual(container.image, "postgres:15.10-bookworm", "pg_dump of the server's version");
            assert.deepStrictEqual(container.command.slice(0, 2), ["sh", "-c"]);
            assert.match(container.command[2], /pg_dump --format=custom --verbose --file="\$file\.partial"/);
            assert.match(container.command[2], /pg_restore --list "\$file\.partial"/, "a dump is checked before it counts");
        });

        it("is restricted-compliant, with requests and limits (ephemeral storage too) and no service-account token", () => {
            const pod = podSpecOf(run);
            assertRestricted(pod, "backup job");
            assert.strictEqual(pod.automountServiceAccountToken, false);
            assert.strictEqual(pod.restartPolicy, "Never");
        });

        it("reaches the in-cluster PostgreSQL by its cluster-wide name, the password a read-only secret file, never an env var", () => {
            const [container] = podSpecOf(run).containers;
            const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
            assert.deepStrictEqual(
                { PGHOST: env.PGHOST, PGPORT: env.PGPORT, PGUSER: env.PGUSER, PGDATABASE: env.PGDATABASE },
                { PGHOST: "postgresql.todo-chatbot.svc.cluster.local", PGPORT: "5432", PGUSER: "todo", PGDATABASE: "todo" },
            );
            assert.ok(!Object.keys(env).some((name) => /PASSWORD/.test(name)), "no password variable");
            const password = run.generatedSecrets.find((s) => s.startsWith("generated-postgresql-password"))!;
            assert.ok(!JSON.stringify(run.one(T.cronJob, "backups-cronjob").inputs).includes(password), "the CronJob spec holds no password");

            const mount = container.volumeMounts.find((m: any) => m.mountPath === BACKUP_SECRETS_DIR);
            assert.strictEqual(mount.readOnly, true);
            const volume = podSpecOf(run).volumes.find((v: any) => v.name === mount.name);
            assert.strictEqual(volume.secret.defaultMode, 0o440);
            const secret = run.one(T.secret, "backups-credentials").inputs;
            assert.ok(isSecretValue(secret.stringData), "the Secret's data is secret");
            assert.deepStrictEqual(plain(secret.stringData), { password });
            assert.strictEqual(secret.metadata.namespace, "todo-chatbot-backups");
        });

        it("writes to its own volume: a 2Gi claim mounted at /backups, keeping the newest 7 dumps", () => {
            const pvc = run.one(T.pvc, "backups-volume").inputs;
            assert.strictEqual(pvc.metadata.name, "postgresql-backups", "a fixed name, so a kept volume is found again");
            assert.strictEqual(pvc.metadata.namespace, "todo-chatbot-backups");
            assert.deepStrictEqual(pvc.spec.accessModes, ["ReadWriteOnce"]);
            assert.strictEqual(pvc.spec.resources.requests.storage, "2Gi");
            const pod = podSpecOf(run);
            const claim = pod.volumes.find((v: any) => v.persistentVolumeClaim);
            assert.strictEqual(claim.persistentVolumeClaim.claimName, "postgresql-backups");
            assert.ok(pod.containers[0].volumeMounts.some((m: any) => m.name === claim.name && m.mountPath === "/backups"));
            const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
            assert.strictEqual(env.RETENTION, "7");
            assert.match(pod.containers[0].command[2], /head -n "-\$RETENTION"/);
        });

        it("has its own NetworkPolicies: everything denied but egress to PostgreSQL and DNS, which admits it", () => {
            const deny = policy(run, "default-deny-all");
            assert.strictEqual(deny.metadata.namespace, "todo-chatbot-backups");
            assert.deepStrictEqual(deny.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] });

            const own = policy(run, "postgresql-backup");
            assert.strictEqual(own.metadata.namespace, "todo-chatbot-backups");
            assert.deepStrictEqual(own.spec.podSelector, { matchLabels: backupPodLabels });
            assert.deepStrictEqual(own.spec.policyTypes, ["Ingress", "Egress"]);
            assert.deepStrictEqual(own.spec.ingress, []);
            assert.deepStrictEqual(own.spec.egress, [
                {
                    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "todo-chatbot" } }, podSelector: { matchLabels: databasePodLabels } }],
                    ports: [{ port: 5432 }],
                },
                {
                    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                    ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
                },
            ]);

            const admit = policy(run, "database-from-backups");
            assert.strictEqual(admit.metadata.namespace, "todo-chatbot");
            assert.deepStrictEqual(admit.spec, {
                podSelector: { matchLabels: databasePodLabels },
                policyTypes: ["Ingress"],
                ingress: [{
                    from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "todo-chatbot-backups" } }, podSelector: { matchLabels: backupPodLabels } }],
                    ports: [{ port: 5432 }],
                }],
            });
            // The policies select the Job's pods by the labels those pods carry.
            const podLabels = run.one(T.cronJob, "backups-cronjob").inputs.spec.jobTemplate.spec.template.metadata.labels;
            for (const [key, value] of Object.entries(backupPodLabels)) assert.strictEqual(podLabels[key], value);
            // The app's own policy for PostgreSQL is untouched.
            const appPolicy = run.one(T.networkPolicy, "platform-database").inputs.spec;
            assert.strictEqual(appPolicy.ingress[0].from.length, 2);
        });

        it("by default goes with pulumi destroy: nothing is retained", () => {
            const children = run.registrations.filter((r) => r.parent === run.ofType(T.component)[0].urn);
            for (const child of children) assert.strictEqual(retained(child), false, `${child.type} ${child.name}`);
        });

        it("exports what scripts/db-backup.sh needs", () => {
            assert.strictEqual(run.outputs.backupNamespace, "todo-chatbot-backups");
            assert.strictEqual(run.outputs.backupCronJob, "postgresql-backup");
            assert.strictEqual(run.outputs.backupVolume, "postgresql-backups");
            assert.strictEqual(run.outputs.kubeContext, "minikube");
            assert.strictEqual(run.outputs.kubeconfig, FAKE_KUBECONFIG);
            assert.strictEqual(run.outputs.databaseMode, "in-cluster");
        });
    });

    it("with backupKeepOnDestroy, retains exactly the volume and its namespace (Pulumi retainOnDelete)", async () => {
        const run = await runProgram("local", { ...BACKUPS_ON, backupKeepOnDestroy: "true" });
        const children = run.registrations.filter((r) => r.parent === run.ofType(T.component)[0].urn);
        const kept = children.filter((r) => retained(r)).map((r) => r.name).sort();
        assert.deepStrictEqual(kept, ["backups-namespace", "backups-volume"]);
        assert.ok(children.length > kept.length);
    });

    it("follows its settings: schedule, retention, volume size and the database's StorageClass", async () => {
        const run = await runProgram("local", {
            ...BACKUPS_ON, backupSchedule: "*/30 1-5 * * MON-FRI", backupRetention: "3", backupStorageSize: "5Gi", databaseStorageClass: "fast-ssd",
        });
        assert.strictEqual(run.one(T.cronJob, "backups-cronjob").inputs.spec.schedule, "*/30 1-5 * * MON-FRI");
        const env = Object.fromEntries(podSpecOf(run).containers[0].env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.RETENTION, "3");
        const pvc = run.one(T.pvc, "backups-volume").inputs.spec;
        assert.strictEqual(pvc.resources.requests.storage, "5Gi");
        assert.strictEqual(pvc.storageClassName, "fast-ssd");
    });

    it("follow a configured database password and namespace", async () => {
        const run = await runProgram("local", { ...BACKUPS_ON, namespace: "todo-staging", databasePassword: "configured-db-password-0123" });
        assert.strictEqual(run.one(T.namespace, "backups-namespace").inputs.metadata.name, "todo-staging-backups");
        const env = Object.fromEntries(podSpecOf(run).containers[0].env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.PGHOST, "postgresql.todo-staging.svc.cluster.local");
        assert.deepStrictEqual(plain(run.one(T.secret, "backups-credentials").inputs.stringData), { password: "configured-db-password-0123" });
    });
});

/** The problems parseConfig reports for the local stack with overrides. */
function problemsOf(overrides: Record<string, string>, stack = "local"): string[] {
    const raw: Record<string, string> = { ...stackConfig(stack), [`${PROJECT}:kubeconfig`]: FAKE_KUBECONFIG };
    for (const [key, value] of Object.entries(overrides)) raw[`${PROJECT}:${key}`] = value;
    try {
        parseConfig(raw, stack);
        return [];
    } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.problems;
    }
}

function assertRejected(key: string, value: string, why: RegExp, fix: string, extra: Record<string, string> = {}) {
    const problems = problemsOf({ [key]: value, ...extra });
    const line = problems.find((p) => p.startsWith(`${key} `));
    assert.ok(line, `${key}=${JSON.stringify(value)} must be rejected; problems: ${JSON.stringify(problems)}`);
    assert.match(line, why);
    assert.ok(line.includes(`Fix: ${fix}`), `the fix must be given: ${line}`);
}

describe("backup settings are validated like every other", () => {
    it("the defaults are valid, switched on or off", () => {
        assert.deepStrictEqual(problemsOf({}), []);
        assert.deepStrictEqual(problemsOf(BACKUPS_ON), []);
    });

    it("backupSchedule: Kubernetes' five-field cron grammar, or a descriptor", () => {
        const good = [
            "0 3 * * *", "*/15 * * * *", "0 0 1 1 *", "30 2 * * 0", "30 2 * * 7", "0 22 * * 1-5", "0 0,12 * * *", "0 3 * * MON-FRI",
            "0 3 1 JAN,jul *", "5-10/2 * ? * *", "0  3 * *  *", "59 23 31 12 6", "@daily", "@hourly", "@weekly", "@monthly", "@yearly", "@annually", "@midnight",
        ];
        for (const schedule of good) assert.strictEqual(cronScheduleProblem(schedule), undefined, schedule);
        const bad: [string, RegExp][] = [
            ["0 3 * *", /must have five fields: minute hour day-of-month month day-of-week.*it has 4 fields/],
            ["0 0 3 * * *", /it has 6 fields/],
            ["60 3 * * *", /invalid minute field "60" \(0-59/],
            ["0 24 * * *", /invalid hour field "24" \(0-23/],
            ["0 3 0 * *", /invalid day of month field "0" \(1-31/],
            ["0 3 * 13 *", /invalid month field "13" \(1-12 or JAN-DEC/],
            ["0 3 * * 8", /invalid day of week field "8" \(0-7 or SUN-SAT/],
            ["0 3 * * FUN", /invalid day of week field "FUN"/],
            ["*/0 * * * *", /invalid minute field/],
            ["5-1 * * * *", /invalid minute field "5-1"/],
            ["0 ? * * *", /invalid hour field "\?"/],
            ["0 3 * * *,", /invalid day of week field/],
            ["@every 1h", /is not a schedule Kubernetes knows/],
            ["@reboot", /is not a schedule Kubernetes knows/],
            ["TZ=Europe/Berlin 0 3 * * *", /must not set a time zone/],
            ["daily", /it has 1 field(\.|$)/],
        ];
        for (const [schedule, why] of bad) {
            assert.match(cronScheduleProblem(schedule) ?? "accepted", why, schedule);
            assertRejected("backupSchedule", schedule, why, "pulumi config set backupSchedule '0 3 * * *' --stack local");
        }
    });

    it("backupRetention: a whole number from 1 to 100", () => {
        for (const value of ["0", "101", "2.5", "seven", "-1"]) {
            assertRejected("backupRetention", value, /must be a whole number from 1 to 100/, "pulumi config set backupRetention 1 --stack local");
        }
        assert.deepStrictEqual(problemsOf({ ...BACKUPS_ON, backupRetention: "30" }), []);
    });

    it("backupStorageSize: a positive quantity of bytes", () => {
        assertRejected("backupStorageSize", "two gigs", /quantity/, "pulumi config set backupStorageSize");
        assertRejected("backupStorageSize", "0", /must be more than 0/, "pulumi config set backupStorageSize 2Gi --stack local");
        assert.deepStrictEqual(problemsOf({ backupStorageSize: "10Gi" }), []);
    });

    it("backups and backupKeepOnDestroy: true or false", () => {
        assertRejected("backups", "yes", /must be true or false/, "pulumi config set backups true --stack local");
        assertRejected("backupKeepOnDestroy", "1", /must be true or false/, "pulumi config set backupKeepOnDestroy true --stack local");
    });

    it("settings are checked even while backups are off, so a mistake shows before they are switched on", () => {
        assert.ok(problemsOf({ backups: "false", backupSchedule: "every night" }).some((p) => p.startsWith("backupSchedule ")));
    });

    it("backups need the in-cluster database", () => {
        const problems = problemsOf({ ...PRODUCTION_SECRETS, backups: "true" }, "production");
        const line = problems.find((p) => p.startsWith("backups "));
        assert.ok(line, JSON.stringify(problems));
        assert.match(line, /in-cluster database only; database is "external" \(use its provider's backups\)\. Fix: pulumi config set backups false --stack production/);
        assert.deepStrictEqual(problemsOf({ ...PRODUCTION_SECRETS, backups: "false" }, "production"), []);
    });

    it("the backups' namespace, <namespace>-backups, must still be a DNS label", () => {
        const long = "a".repeat(60);
        const problems = problemsOf({ ...BACKUPS_ON, namespace: long });
        const line = problems.find((p) => p.startsWith("namespace "));
        assert.ok(line, JSON.stringify(problems));
        assert.match(line, /too long for backups: their namespace a+-backups would exceed 63 characters\. Fix: pulumi config set namespace a{55} --stack local/);
        assert.deepStrictEqual(problemsOf({ namespace: long }), [], "without backups the name is fine");
    });

    it("nothing is registered when a backup setting is wrong", async () => {
        await assert.rejects(runProgram("local", { ...BACKUPS_ON, backupSchedule: "0 25 * * *" }, { preview: true }), (error: Error) => {
            assert.strictEqual(error.constructor.name, "ConfigError");
            assert.deepStrictEqual((error as any).registrations, []);
            return true;
        });
    });
});
