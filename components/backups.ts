import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { commonLabels, databasePodLabels, RELEASE_NAME } from "../lib/labels";
import { postgresPodSecurityContext, restrictedContainerSecurityContext, restrictedNamespaceLabels } from "../lib/podSecurity";

export interface BackupsArgs {
    /** Namespace to create for the backups: the CronJob, its volume and their NetworkPolicies. */
    namespace: string;
    /** Namespace of the app, where PostgreSQL runs (it gets a policy letting the backup pods in). */
    databaseNamespace: pulumi.Input<string>;
    /** postgresql://USER:PASSWORD@HOST:PORT/DB of the database (secret); HOST must resolve from another namespace. */
    databaseUrl: pulumi.Output<string>;
    /** Image with pg_dump: the database's own image, so the dump tool is the server's version. */
    image: string;
    /** Cron schedule, five fields, evaluated in UTC. */
    schedule: string;
    /** How many dumps to keep, the newest. */
    retention: number;
    /** Size of the backup volume, e.g. "2Gi". */
    storageSize: string;
    /** StorageClass of the backup volume; undefined uses the cluster default. */
    storageClass?: string;
    /**
     * Keep the volume and its namespace on `pulumi destroy` (Pulumi retainOnDelete). A volume in the
     * app's namespace could not outlive it: deleting a namespace deletes every claim in it.
     */
    keepOnDestroy: boolean;
    /** Kubernetes provider of the target cluster. */
    provider: k8s.Provider;
}

/** Labels of the backup Jobs' pods; the NetworkPolicies select them. */
export const backupPodLabels: Record<string, string> = {
    "app.kubernetes.io/name": "postgresql-backup",
    "app.kubernetes.io/instance": RELEASE_NAME,
    "app.kubernetes.io/component": "backup",
};

const CRONJOB_NAME = "postgresql-backup";
const VOLUME_NAME = "postgresql-backups";
export const BACKUPS_DIR = "/backups";
/** Where the Job finds the database password, as the file `password`. */
export const BACKUP_SECRETS_DIR = "/var/run/secrets/postgresql";

/**
 * The Job's script, POSIX sh of the postgres image (pg_dump is in no pipe, whose status sh would
 * lose). pg_dump takes one snapshot, so the dump is consistent while the app writes, and logs each
 * table it dumps. The dump is written under a temporary name and renamed once pg_dump succeeded and
 * pg_restore can read it, so a dump on the volume is always whole; only then are all but the newest
 * RETENTION dumps removed. Names are UTC timestamps: lexical order is age order.
 */
export const BACKUP_SCRIPT = `set -eu
umask 077
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
file="${BACKUPS_DIR}/todo-chatbot-$stamp.dump"
# A failed run leaves nothing behind; one killed outright leaves a .partial the next run removes.
trap 'rm -f "$file.partial"' EXIT
rm -f ${BACKUPS_DIR}/*.partial
echo "backing up $PGDATABASE on $PGHOST to $file"
# A new pod's NetworkPolicy allowance can take a few seconds to be programmed: wait for the server.
tries=0
until pg_isready --timeout=2 >/dev/null; do
  tries=$((tries + 1)); [ "$tries" -lt 30 ] || { echo "PostgreSQL at $PGHOST does not answer" >&2; exit 1; }
  sleep 1
done
PGPASSWORD="$(cat ${BACKUP_SECRETS_DIR}/password)" pg_dump --format=custom --verbose --file="$file.partial"
pg_restore --list "$file.partial" >/dev/null
mv "$file.partial" "$file"
echo "written: $file ($(wc -c <"$file") bytes)"
ls -1 ${BACKUPS_DIR}/todo-chatbot-*.dump | sort | head -n "-$RETENTION" | while read -r old; do
  rm -f -- "$old"
  echo "removed (retention $RETENTION): $old"
done
echo "kept:"; ls -1 ${BACKUPS_DIR}/todo-chatbot-*.dump
`;

/**
 * Scheduled backups of the in-cluster PostgreSQL: a CronJob running `pg_dump --format=custom` onto
 * a PersistentVolumeClaim, keeping the newest N dumps, in a namespace of its own (Pod Security
 * `restricted`, default-deny NetworkPolicies; the backup pods may reach only PostgreSQL and DNS).
 */
export class Backups extends pulumi.ComponentResource {
    /** Namespace of the backups. */
    public readonly namespace: pulumi.Output<string>;
    /** Name of the CronJob (`kubectl create job --from=cronjob/<name>` runs one now). */
    public readonly cronJobName: pulumi.Output<string>;
    /** Name of the PersistentVolumeClaim holding the dumps. */
    public readonly volumeClaimName: pulumi.Output<string>;

    constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("todo-chatbot:data:Backups", name, {}, opts);
        const childOpts = { parent: this, provider: args.provider };
        // Only what holds the dumps outlives `pulumi destroy` when asked to; the rest always goes.
        const keptOpts = { ...childOpts, retainOnDelete: args.keepOnDestroy };
        const labels = { ...commonLabels, ...backupPodLabels };

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.namespace,
                    labels: { ...commonLabels, ...restrictedNamespaceLabels },
                },
            },
            keptOpts,
        );
        this.namespace = namespace.metadata.name;

        // The database's address and credentials, from its URL; only the password stays secret.
        const url = args.databaseUrl.apply((u) => new URL(u));
        const plainPart = (part: (u: URL) => string) => pulumi.unsecret(url.apply(part));
        const host = plainPart((u) => u.hostname);
        const port = plainPart((u) => u.port || "5432");
        const user = plainPart((u) => decodeURIComponent(u.username));
        const database = plainPart((u) => decodeURIComponent(u.pathname.slice(1)));
        const credentials = new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: { namespace: this.namespace, labels },
                stringData: { password: pulumi.secret(url.apply((u) => decodeURIComponent(u.password))) },
            },
            childOpts,
        );

        const volume = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-volume`,
            {
                metadata: { name: VOLUME_NAME, namespace: this.namespace, labels },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: args.storageClass,
                    resources: { requests: { storage: args.storageSize } },
                },
            },
            keptOpts,
        );

        // Nothing flows in this namespace unless allowed; the backup pods may reach PostgreSQL and DNS only.
        const policy = (policyName: string, namespaceName: pulumi.Input<string>, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${policyName}`,
                { metadata: { name: policyName, namespace: namespaceName, labels: commonLabels }, spec },
                childOpts,
            );
        const inNamespace = (ns: pulumi.Input<string>) => ({ matchLabels: { "kubernetes.io/metadata.name": ns } });
        policy("default-deny-all", this.namespace, { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] });
        policy("postgresql-backup", this.namespace, {
            podSelector: { matchLabels: backupPodLabels },
            policyTypes: ["Ingress", "Egress"],
            ingress: [],
            egress: [
                { to: [{ namespaceSelector: inNamespace(args.databaseNamespace), podSelector: { matchLabels: databasePodLabels } }], ports: [{ port: 5432 }] },
                {
                    to: [{ namespaceSelector: inNamespace("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                    ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
                },
            ],
        });
        // The other half, in the app's namespace: PostgreSQL admits the backup pods (policies add up).
        policy("database-from-backups", args.databaseNamespace, {
            podSelector: { matchLabels: databasePodLabels },
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ namespaceSelector: inNamespace(this.namespace), podSelector: { matchLabels: backupPodLabels } }], ports: [{ port: 5432 }] }],
        });

        const cronJob = new k8s.batch.v1.CronJob(
            `${name}-cronjob`,
            {
                metadata: { name: CRONJOB_NAME, namespace: this.namespace, labels },
                spec: {
                    schedule: args.schedule,
                    timeZone: "Etc/UTC",
                    // One at a time; a run missed by more than 10 minutes (cluster stopped) waits for the next.
                    concurrencyPolicy: "Forbid",
                    startingDeadlineSeconds: 600,
                    successfulJobsHistoryLimit: 3,
                    failedJobsHistoryLimit: 3,
                    jobTemplate: {
                        metadata: { labels },
                        spec: {
                            backoffLimit: 2,
                            activeDeadlineSeconds: 3600,
                            // Jobs made by hand (`kubectl create job --from=cronjob/...`) escape the history limits.
                            ttlSecondsAfterFinished: 7 * 24 * 3600,
                            template: {
                                metadata: { labels },
                                spec: {
                                    restartPolicy: "Never",
                                    automountServiceAccountToken: false,
                                    securityContext: postgresPodSecurityContext,
                                    containers: [
                                        {
                                            name: "pg-dump",
                                            image: args.image,
                                            command: ["sh", "-c", BACKUP_SCRIPT],
                                            env: [
                                                { name: "PGHOST", value: host },
                                                { name: "PGPORT", value: port },
                                                { name: "PGUSER", value: user },
                                                { name: "PGDATABASE", value: database },
                                                { name: "PGCONNECT_TIMEOUT", value: "10" },
                                                { name: "RETENTION", value: String(args.retention) },
                                            ],
                                            securityContext: restrictedContainerSecurityContext,
                                            // The dump goes to the volume; ephemeral storage holds /tmp and the logs.
                                            resources: {
                                                requests: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "32Mi" },
                                                limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": "128Mi" },
                                            },
                                            volumeMounts: [
                                                { name: "backups", mountPath: BACKUPS_DIR },
                                                { name: "tmp", mountPath: "/tmp" },
                                                { name: "credentials", mountPath: BACKUP_SECRETS_DIR, readOnly: true },
                                            ],
                                        },
                                    ],
                                    volumes: [
                                        { name: "backups", persistentVolumeClaim: { claimName: volume.metadata.name } },
                                        { name: "tmp", emptyDir: { sizeLimit: "32Mi" } },
                                        // 0440: root owns the file, the fsGroup (postgres) may read it.
                                        { name: "credentials", secret: { secretName: credentials.metadata.name, defaultMode: 0o440 } },
                                    ],
                                },
                            },
                        },
                    },
                },
            },
            childOpts,
        );

        this.cronJobName = cronJob.metadata.name;
        this.volumeClaimName = volume.metadata.name;
        this.registerOutputs({ namespace: this.namespace, cronJobName: this.cronJobName, volumeClaimName: this.volumeClaimName });
    }
}
