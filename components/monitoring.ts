import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { commonLabels } from "../lib/labels";

export interface MonitoringArgs {
    /** Namespace to create for the monitoring stack. */
    namespace: string;
    /** Helm repository of kube-prometheus-stack: the prometheus-community one, or a mirror of it. */
    chartRepository: string;
    /** Exact chart version (MONITORING_CHART_VERSION unless a test pins another). */
    chartVersion: string;
    /** Kubernetes provider of the target cluster. */
    provider: k8s.Provider;
    /** Provider of the generated Grafana admin password (@pulumi/random). */
    randomProvider: random.Provider;
}

/** The kube-prometheus-stack release this program is written and sized for. */
export const MONITORING_CHART_VERSION = "82.6.0";
/** Helm release name; the chart names its Services after it (RELEASE-grafana, RELEASE-prometheus). */
export const MONITORING_RELEASE_NAME = "kube-prometheus-stack";

/** Values that leave only the chart's CustomResourceDefinitions. */
const CRDS_ONLY = {
    crds: { enabled: true },
    defaultRules: { create: false },
    prometheusOperator: { enabled: false },
    prometheus: { enabled: false },
    alertmanager: { enabled: false },
    grafana: { enabled: false },
    kubeStateMetrics: { enabled: false },
    nodeExporter: { enabled: false },
    ...Object.fromEntries(
        ["kubeApiServer", "kubelet", "kubeControllerManager", "coreDns", "kubeDns", "kubeEtcd", "kubeScheduler", "kubeProxy"].map((part) => [part, { enabled: false }]),
    ),
};

/**
 * Requests and a memory limit for each part of the stack (no CPU limit: throttling a scrape or a
 * rule evaluation only delays it). The requests add up to 0.4 CPU and 832 MiB, so the stack fits
 * beside the app in a 4-CPU/8-GiB Minikube; docs/OBSERVABILITY.md has the table.
 */
const resources = (cpu: string, memory: string, memoryLimit: string) => ({
    requests: { cpu, memory },
    limits: { memory: memoryLimit },
});

/**
 * The Prometheus Operator, Prometheus, Alertmanager, Grafana, kube-state-metrics and
 * node-exporter, from the community's kube-prometheus-stack chart at a pinned version. It
 * picks up the ServiceMonitors, PrometheusRules and dashboards of every namespace, so the
 * app's chart ships its own. Grafana's admin password is generated and kept secret.
 */
export class Monitoring extends pulumi.ComponentResource {
    /** Namespace of the stack. */
    public readonly namespace: pulumi.Output<string>;
    /** The Secret with Grafana's admin user and generated password (keys admin-user, admin-password). */
    public readonly grafanaAdminSecretName = "grafana-admin";
    /** Services to port-forward to: Grafana (port 80) and Prometheus (port 9090). */
    public readonly grafanaServiceName = `${MONITORING_RELEASE_NAME}-grafana`;
    public readonly prometheusServiceName = `${MONITORING_RELEASE_NAME}-prometheus`;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("todo-chatbot:observability:Monitoring", name, {}, opts);
        const childOpts = { parent: this, provider: args.provider };

        // Pod Security `privileged`: node-exporter reads the node through the host's PID and network namespaces.
        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: args.namespace, labels: { ...commonLabels, "pod-security.kubernetes.io/enforce": "privileged" } } },
            childOpts,
        );
        this.namespace = namespace.metadata.name;

        // Read with kubectl (the stack output openGrafana says how), never a stack output or a chart value.
        const grafanaPassword = new random.RandomPassword(`${name}-grafana-admin-password`, { length: 32, special: false }, { parent: this, provider: args.randomProvider });
        const grafanaAdmin = new k8s.core.v1.Secret(
            `${name}-grafana-admin`,
            {
                metadata: { name: this.grafanaAdminSecretName, namespace: this.namespace, labels: commonLabels },
                stringData: { "admin-user": "admin", "admin-password": pulumi.secret(grafanaPassword.result) },
            },
            childOpts,
        );

        const chart = { chart: "kube-prometheus-stack", version: args.chartVersion, repositoryOpts: { repo: args.chartRepository } };
        // The chart's CRDs as Pulumi resources, rendered from the same chart with every component off.
        // Registered this way, their scope is known to the provider before they exist in the cluster, so
        // the app's chart (Chart v4) can render its ServiceMonitors and PrometheusRule in the very first
        // preview (pulumi/pulumi-kubernetes#3176). And unlike Helm, Pulumi upgrades CRDs with the chart.
        const crds = new k8s.helm.v4.Chart(
            `${name}-crds`,
            { ...chart, namespace: this.namespace, values: CRDS_ONLY },
            childOpts,
        );

        // The rest as a Release, not Chart v4: Helm runs the chart's hooks (the admission webhook's certificates).
        new k8s.helm.v3.Release(
            name,
            {
                name: MONITORING_RELEASE_NAME,
                ...chart,
                skipCrds: true,
                namespace: this.namespace,
                timeout: 900,
                cleanupOnFail: true,
                values: {
                    prometheus: {
                        prometheusSpec: {
                            // Select the ServiceMonitors, PodMonitors and rules of every release, not only this one's.
                            serviceMonitorSelectorNilUsesHelmValues: false,
                            podMonitorSelectorNilUsesHelmValues: false,
                            ruleSelectorNilUsesHelmValues: false,
                            retention: "3d",
                            retentionSize: "1500MB",
                            resources: resources("200m", "512Mi", "1536Mi"),
                        },
                    },
                    alertmanager: { alertmanagerSpec: { resources: resources("10m", "32Mi", "128Mi") } },
                    prometheusOperator: { resources: resources("50m", "64Mi", "256Mi") },
                    grafana: {
                        admin: { existingSecret: grafanaAdmin.metadata.name, userKey: "admin-user", passwordKey: "admin-password" },
                        // Dashboards come from ConfigMaps labelled grafana_dashboard=1 in any namespace (the app's chart ships them).
                        sidecar: { dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" } },
                        resources: resources("100m", "128Mi", "384Mi"),
                    },
                    "kube-state-metrics": { resources: resources("20m", "64Mi", "256Mi") },
                    "prometheus-node-exporter": { resources: resources("20m", "32Mi", "128Mi") },
                    // Minikube binds these to 127.0.0.1 inside its node: they cannot be scraped and would only raise false alerts.
                    kubeEtcd: { enabled: false },
                    kubeControllerManager: { enabled: false },
                    kubeScheduler: { enabled: false },
                    kubeProxy: { enabled: false },
                },
            },
            { ...childOpts, dependsOn: [crds] },
        );

        this.registerOutputs({ namespace: this.namespace, grafanaAdminSecretName: this.grafanaAdminSecretName });
    }
}
