import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { commonLabels, databasePodLabels } from "../lib/labels";
import { postgresPodSecurityContext, restrictedContainerSecurityContext } from "../lib/podSecurity";

export interface DatabaseArgs {
    /** Namespace to run PostgreSQL in. */
    namespace: pulumi.Input<string>;
    /** PostgreSQL image (the official one: its entrypoint initialises the data directory). */
    image: string;
    /** Size of the data volume, e.g. "1Gi". */
    storageSize: string;
    /** StorageClass of the data volume; undefined uses the cluster default. */
    storageClass?: string;
    /**
     * Role the app connects as. On an empty volume PostgreSQL creates it as the database's owner;
     * scripts/db-rotate-password.sh later alternates between that owner and a second role.
     */
    user: string;
    /** Password of the app's database user; generated (and kept stable) when undefined. */
    password?: pulumi.Output<string>;
    /**
     * The official postgres_exporter as a sidecar (this image), with a Service and a ServiceMonitor
     * for the Prometheus Operator; undefined runs no exporter.
     */
    exporterImage?: string;
    /** Kubernetes provider of the target cluster. */
    provider: k8s.Provider;
    /** Provider of the generated values (@pulumi/random). */
    randomProvider: random.Provider;
}

const DATABASE = "todo";
const PORT = 5432;
const EXPORTER_PORT = 9187;
/** Name of the exporter's Service, and so the `job` label of its series (the chart's alerts expect it). */
const DATABASE_METRICS_SERVICE = "postgresql-metrics";
/** Where the password file is mounted; the image's entrypoint reads POSTGRES_PASSWORD_FILE. */
const SECRETS_DIR = "/var/run/secrets/postgresql";

/**
 * An in-cluster PostgreSQL: a single-replica StatefulSet with a PersistentVolumeClaim, a
 * headless Service, probes, resources and a Pod Security Standard `restricted` context.
 */
export class Database extends pulumi.ComponentResource {
    /** postgresql://USER:PASSWORD@HOST:5432/DB inside the cluster (secret). */
    public readonly url: pulumi.Output<string>;
    /** Name of the headless Service (the database's host name in the namespace). */
    public readonly serviceName: pulumi.Output<string>;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("todo-chatbot:data:Database", name, {}, opts);
        const childOpts = { parent: this, provider: args.provider };
        const labels = { ...commonLabels, ...databasePodLabels };

        // Letters and digits only, so the password needs no escaping inside the URL.
        const password =
            args.password ?? new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this, provider: args.randomProvider }).result;

        // PostgreSQL reads these only when it initialises an empty volume; later password changes are
        // ALTER ROLE statements (scripts/db-rotate-password.sh). So the Secret is written once and never
        // updated: an update would restart the database for nothing. The password reaches the server as a
        // read-only file, not an environment variable.
        const initCredentials = new k8s.core.v1.Secret(
            `${name}-init-credentials`,
            {
                metadata: { namespace: args.namespace, labels },
                stringData: { POSTGRES_USER: args.user, POSTGRES_PASSWORD: password },
            },
            // Both fields: a `pulumi refresh` reads the Secret back as `data`, which an update would otherwise diff against.
            { ...childOpts, ignoreChanges: ["stringData", "data"] },
        );

        const service = new k8s.core.v1.Service(
            `${name}-headless`,
            {
                metadata: { name: "postgresql", namespace: args.namespace, labels },
                spec: {
                    clusterIP: "None",
                    selector: databasePodLabels,
                    ports: [{ name: "postgresql", port: PORT, targetPort: "postgresql" }],
                },
            },
            childOpts,
        );

        // The owner role, as first created: the operations scripts and the exporter use it over the local socket.
        const ownerUser = { name: "POSTGRES_USER", valueFrom: { secretKeyRef: { name: initCredentials.metadata.name, key: "POSTGRES_USER" } } };
        const isReady = { exec: { command: ["sh", "-c", `exec pg_isready -h 127.0.0.1 -U "$POSTGRES_USER" -d ${DATABASE}`] } };
        new k8s.apps.v1.StatefulSet(
            name,
            {
                metadata: { name: "postgresql", namespace: args.namespace, labels },
                spec: {
                    serviceName: service.metadata.name,
                    replicas: 1,
                    selector: { matchLabels: databasePodLabels },
                    template: {
                        metadata: { labels },
                        spec: {
                            automountServiceAccountToken: false,
                            securityContext: postgresPodSecurityContext,
                            containers: [
                                {
                                    name: "postgresql",
                                    image: args.image,
                                    ports: [{ name: "postgresql", containerPort: PORT }],
                                    env: [
                                        ownerUser,
                                        { name: "POSTGRES_DB", value: DATABASE },
                                        { name: "POSTGRES_PASSWORD_FILE", value: `${SECRETS_DIR}/POSTGRES_PASSWORD` },
                                        // A subdirectory, because a fresh volume's root holds lost+found and initdb wants an empty directory.
                                        { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
                                    ],
                                    securityContext: restrictedContainerSecurityContext,
                                    // Table data lives on the volume claim (temporary sort files too, under PGDATA); ephemeral
                                    // storage holds the socket directory, /tmp and the container's logs.
                                    resources: {
                                        requests: { cpu: "100m", memory: "256Mi", "ephemeral-storage": "64Mi" },
                                        limits: { cpu: "1", memory: "512Mi", "ephemeral-storage": "256Mi" },
                                    },
                                    startupProbe: { ...isReady, periodSeconds: 2, failureThreshold: 60 },
                                    readinessProbe: { ...isReady, periodSeconds: 5, failureThreshold: 3 },
                                    livenessProbe: { ...isReady, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
                                    volumeMounts: [
                                        { name: "data", mountPath: "/var/lib/postgresql/data" },
                                        { name: "run", mountPath: "/var/run/postgresql" },
                                        { name: "tmp", mountPath: "/tmp" },
                                        { name: "credentials", mountPath: SECRETS_DIR, readOnly: true },
                                    ],
                                },
                                ...(args.exporterImage ? [exporterContainer(args.exporterImage, ownerUser)] : []),
                            ],
                            volumes: [
                                { name: "run", emptyDir: { sizeLimit: "16Mi" } },
                                { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
                                // 0440: root owns the file, the fsGroup (postgres) may read it.
                                { name: "credentials", secret: { secretName: initCredentials.metadata.name, items: [{ key: "POSTGRES_PASSWORD", path: "POSTGRES_PASSWORD" }], defaultMode: 0o440 } },
                            ],
                        },
                    },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: "data", labels },
                            spec: {
                                accessModes: ["ReadWriteOnce"],
                                storageClassName: args.storageClass,
                                resources: { requests: { storage: args.storageSize } },
                            },
                        },
                    ],
                },
            },
            childOpts,
        );

        if (args.exporterImage) {
            const metricsLabels = { ...labels, "app.kubernetes.io/component": "database-metrics" };
            new k8s.core.v1.Service(
                `${name}-metrics`,
                {
                    metadata: { name: DATABASE_METRICS_SERVICE, namespace: args.namespace, labels: metricsLabels },
                    spec: { selector: databasePodLabels, ports: [{ name: "metrics", port: EXPORTER_PORT, targetPort: "metrics" }] },
                },
                childOpts,
            );
            new k8s.apiextensions.CustomResource(
                `${name}-metrics`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "ServiceMonitor",
                    metadata: { name: DATABASE_METRICS_SERVICE, namespace: args.namespace, labels: metricsLabels },
                    spec: {
                        selector: { matchLabels: metricsLabels },
                        endpoints: [{ port: "metrics", interval: "30s" }],
                    },
                },
                // Children do not inherit the component's dependsOn: the ServiceMonitor waits for the monitoring stack's CRDs.
                { ...childOpts, dependsOn: opts?.dependsOn },
            );
        }

        this.serviceName = service.metadata.name;
        const host = pulumi.interpolate`${service.metadata.name}.${args.namespace}.svc.cluster.local`;
        this.url = pulumi.secret(pulumi.interpolate`postgresql://${args.user}:${password}@${host}:${PORT}/${DATABASE}`);

        this.registerOutputs({ serviceName: this.serviceName, url: this.url });
    }
}

/**
 * postgres_exporter beside the server: it connects as the owner over the pod's Unix socket, which
 * the image trusts, so it needs no password (a rotation cannot break it).
 */
function exporterContainer(image: string, ownerUser: k8s.types.input.core.v1.EnvVar): k8s.types.input.core.v1.Container {
    return {
        name: "metrics",
        image,
        ports: [{ name: "metrics", containerPort: EXPORTER_PORT }],
        env: [
            ownerUser,
            { name: "DATA_SOURCE_NAME", value: `host=/var/run/postgresql user=$(POSTGRES_USER) dbname=${DATABASE} sslmode=disable` },
        ],
        securityContext: restrictedContainerSecurityContext,
        resources: {
            requests: { cpu: "10m", memory: "32Mi", "ephemeral-storage": "16Mi" },
            limits: { cpu: "100m", memory: "64Mi", "ephemeral-storage": "64Mi" },
        },
        readinessProbe: { httpGet: { path: "/", port: "metrics" }, periodSeconds: 10 },
        volumeMounts: [{ name: "run", mountPath: "/var/run/postgresql", readOnly: true }],
    };
}
