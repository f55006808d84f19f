import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { appPodLabels, commonLabels, databasePodLabels } from "../lib/labels";
import { restrictedNamespaceLabels } from "../lib/podSecurity";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type NetworkPolicyRule = { to?: NetworkPolicyPeer[]; from?: NetworkPolicyPeer[]; ports: { port: number; protocol?: string }[] };

export interface PlatformArgs {
    /** Namespace to create. */
    namespace: string;
    /** Where the database runs: a pod in the namespace, or outside the cluster (any address, port 5432). */
    database: "in-cluster" | "external";
    /** Whether the backend may call the model provider (HTTPS to the internet). */
    assistantOnline: boolean;
    /** Namespace whose Prometheus may scrape the metrics ports; undefined allows no scraping. */
    monitoringNamespace?: string;
    /** Totals of the namespace's ResourceQuota. */
    quota: { requestsCpu: string; requestsMemory: string; limitsCpu: string; limitsMemory: string };
    /** Kubernetes provider of the target cluster. */
    provider: k8s.Provider;
}

const FRONTEND_PORT = 3000;
const BACKEND_PORT = 8000;
const POSTGRES_PORT = 5432;
const FRONTEND_METRICS_PORT = 9464;
const POSTGRES_EXPORTER_PORT = 9187;
const ANYWHERE: NetworkPolicyPeer[] = [{ ipBlock: { cidr: "0.0.0.0/0" } }];

/**
 * The raw resources around the chart: the Namespace (Pod Security Admission `restricted`),
 * default-deny NetworkPolicies with exactly the flows the app needs, and a ResourceQuota
 * and LimitRange sized for a 4-CPU/8-GiB Minikube.
 */
export class Platform extends pulumi.ComponentResource {
    /** Name of the namespace, available once it exists (depend on it through this output). */
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("todo-chatbot:platform:Platform", name, {}, opts);
        const childOpts = { parent: this, provider: args.provider };

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.namespace,
                    labels: { ...commonLabels, ...restrictedNamespaceLabels },
                },
            },
            childOpts,
        );
        this.namespace = namespace.metadata.name;

        const frontend = { podSelector: { matchLabels: appPodLabels("frontend") } };
        const backend = { podSelector: { matchLabels: appPodLabels("backend") } };
        const database = { podSelector: { matchLabels: databasePodLabels } };
        const toDatabase: NetworkPolicyRule =
            args.database === "in-cluster"
                ? { to: [database], ports: [{ port: POSTGRES_PORT }] }
                : { to: ANYWHERE, ports: [{ port: POSTGRES_PORT }] };

        // Prometheus scrapes from its own namespace; each app gets one more ingress rule for its metrics port.
        const scrapedOn = (port: number): NetworkPolicyRule[] =>
            args.monitoringNamespace
                ? [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.monitoringNamespace } } }], ports: [{ port }] }]
                : [];

        const policy = (policyName: string, podSelector: object, rules: { ingress?: NetworkPolicyRule[]; egress?: NetworkPolicyRule[] }) =>
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${policyName}`,
                {
                    metadata: { name: policyName, namespace: this.namespace, labels: commonLabels },
                    spec: {
                        podSelector,
                        policyTypes: [...(rules.ingress ? ["Ingress"] : []), ...(rules.egress ? ["Egress"] : [])],
                        ingress: rules.ingress,
                        egress: rules.egress,
                    },
                },
                childOpts,
            );

        // Nothing flows unless a policy below allows it.
        policy("default-deny-all", {}, { ingress: [], egress: [] });
        policy("allow-dns", {}, {
            egress: [
                {
                    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                    ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
                },
            ],
        });
        // People reach the frontend through the NodePort or the ingress controller; both may hide the client's address.
        policy("frontend", frontend.podSelector, {
            ingress: [{ ports: [{ port: FRONTEND_PORT }] }, ...scrapedOn(FRONTEND_METRICS_PORT)],
            egress: [{ to: [backend], ports: [{ port: BACKEND_PORT }] }, toDatabase],
        });
        policy("backend", backend.podSelector, {
            ingress: [{ from: [frontend], ports: [{ port: BACKEND_PORT }] }, ...scrapedOn(BACKEND_PORT)],
            egress: [toDatabase, ...(args.assistantOnline ? [{ to: ANYWHERE, ports: [{ port: 443 }] }] : [])],
        });
        if (args.database === "in-cluster") {
            policy("database", database.podSelector, {
                ingress: [{ from: [frontend, backend], ports: [{ port: POSTGRES_PORT }] }, ...scrapedOn(POSTGRES_EXPORTER_PORT)],
            });
        }

        new k8s.core.v1.ResourceQuota(
            `${name}-quota`,
            {
                metadata: { name: "app-quota", namespace: this.namespace, labels: commonLabels },
                spec: {
                    hard: {
                        "requests.cpu": args.quota.requestsCpu,
                        "requests.memory": args.quota.requestsMemory,
                        "limits.cpu": args.quota.limitsCpu,
                        "limits.memory": args.quota.limitsMemory,
                        pods: "30",
                        persistentvolumeclaims: "4",
                        "requests.storage": "20Gi",
                        "services.nodeports": "2",
                        "services.loadbalancers": "0",
                    },
                },
            },
            childOpts,
        );

        // Defaults for any container that states no resources, so the quota never rejects it. Ephemeral
        // storage too: a container without a limit could fill the node's disk and get its neighbours evicted.
        new k8s.core.v1.LimitRange(
            `${name}-limits`,
            {
                metadata: { name: "container-defaults", namespace: this.namespace, labels: commonLabels },
                spec: {
                    limits: [
                        {
                            type: "Container",
                            defaultRequest: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "64Mi" },
                            default: { cpu: "250m", memory: "256Mi", "ephemeral-storage": "256Mi" },
                            max: { cpu: "2", memory: "2Gi", "ephemeral-storage": "1Gi" },
                        },
                    ],
                },
            },
            childOpts,
        );

        this.registerOutputs({ namespace: this.namespace });
    }
}
