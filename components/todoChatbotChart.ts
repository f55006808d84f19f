import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ContainerResources, ServiceType } from "../config";
import { CHART_NAME } from "../lib/labels";
import type { ImageReference } from "./appImage";

export interface TodoChatbotChartArgs {
    /** Path of the chart directory (charts/todo-chatbot). */
    chartPath: string;
    /** Helm release name; with the chart's fullname rules it also prefixes every object's name. */
    releaseName: string;
    /** Namespace to install into. */
    namespace: pulumi.Input<string>;
    /** The Secret with DATABASE_URL, BETTER_AUTH_SECRET and OPENROUTER_API_KEY (the chart then creates none). */
    existingSecret: pulumi.Input<string>;
    frontend: { image: pulumi.Input<ImageReference>; replicas: number; serviceType: ServiceType; nodePort: number };
    backend: { image: pulumi.Input<ImageReference>; replicas: number };
    /** Requests and limits of each app container. */
    resources: ContainerResources;
    /** HorizontalPodAutoscalers from each replica count up to maxReplicas. */
    autoscaling: { enabled: boolean; maxReplicas: number };
    /** Public URL of the frontend (BETTER_AUTH_URL). */
    publicUrl: string;
    /** Ingress with TLS in front of the frontend. */
    ingress?: { host: string; className: string; tlsSecretName: pulumi.Input<string> };
    /** Assistant model and backend log level. */
    openrouterModel: string;
    logLevel: string;
    /** Switch on the chart's ServiceMonitors, PrometheusRule and Grafana dashboards (needs the Prometheus Operator's CRDs). */
    monitoring: boolean;
    /**
     * The references the pods must run, repository:tag@digest for pushed images: the rendered
     * pod templates are pinned to them (a tag in a registry can be moved; a digest cannot).
     */
    pinnedImages: pulumi.Input<string>[];
    /** Kubernetes provider of the target cluster. */
    provider: k8s.Provider;
}

/**
 * The project's Helm chart, rendered by `kubernetes.helm.v4.Chart` into ordinary Pulumi
 * resources: pull-request previews show a diff per Kubernetes object and Pulumi awaits
 * each one's readiness. v4 skips Helm hooks, so the chart runs its database migrations in
 * an init container rather than a hook (see docs/DECISIONS.md).
 */
export class TodoChatbotChart extends pulumi.ComponentResource {
    /** Name of the frontend Service. */
    public readonly frontendServiceName: string;
    /** Name of the backend Service. */
    public readonly backendServiceName: string;

    constructor(name: string, args: TodoChatbotChartArgs, opts?: pulumi.ComponentResourceOptions) {
        super("todo-chatbot:app:TodoChatbotChart", name, {}, opts);

        // The chart's fullname rule (helm create): the release name alone when it contains the chart name.
        const fullname = args.releaseName.includes(CHART_NAME) ? args.releaseName : `${args.releaseName}-${CHART_NAME}`;
        this.frontendServiceName = `${fullname}-frontend`;
        this.backendServiceName = `${fullname}-backend`;

        const podDisruptionBudget = (replicas: number) => ({ enabled: replicas >= 2, minAvailable: 1 });
        const autoscaling = (replicas: number) => ({
            enabled: args.autoscaling.enabled,
            minReplicas: replicas,
            maxReplicas: args.autoscaling.maxReplicas,
            targetCPUUtilizationPercentage: 70,
        });

        new k8s.helm.v4.Chart(
            name,
            {
                chart: args.chartPath,
                name: args.releaseName,
                namespace: args.namespace,
                values: {
                    existingSecret: args.existingSecret,
                    backend: {
                        replicaCount: args.backend.replicas,
                        image: args.backend.image,
                        resources: args.resources,
                        config: { logLevel: args.logLevel, openrouterModel: args.openrouterModel, allowedOrigins: args.publicUrl },
                        autoscaling: autoscaling(args.backend.replicas),
                        podDisruptionBudget: podDisruptionBudget(args.backend.replicas),
                    },
                    frontend: {
                        replicaCount: args.frontend.replicas,
                        image: args.frontend.image,
                        resources: args.resources,
                        service: {
                            type: args.frontend.serviceType,
                            ...(args.frontend.serviceType === "NodePort" ? { nodePort: args.frontend.nodePort } : {}),
                        },
                        config: { betterAuthUrl: args.publicUrl },
                        autoscaling: autoscaling(args.frontend.replicas),
                        podDisruptionBudget: podDisruptionBudget(args.frontend.replicas),
                    },
                    ingress: args.ingress
                        ? {
                              enabled: true,
                              className: args.ingress.className,
                              host: args.ingress.host,
                              tls: { enabled: true, secretName: args.ingress.tlsSecretName },
                          }
                        : { enabled: false },
                    // This program owns the NetworkPolicies (components/platform.ts).
                    networkPolicy: { enabled: false },
                    metrics: {
                        serviceMonitor: { enabled: args.monitoring },
                        prometheusRule: { enabled: args.monitoring },
                        dashboards: { enabled: args.monitoring },
                    },
                },
            },
            // Children do not inherit a component's dependsOn: pass it on, so e.g. the database is up before the pods start.
            {
                parent: this,
                provider: args.provider,
                dependsOn: opts?.dependsOn,
                // The digests are known only once the images are pushed, during the update. As chart
                // values they would leave the whole chart unrendered in every preview (Chart v4
                // renders nothing when a value is unknown); as a transform only the image fields wait.
                transforms: [pinImageDigests(args.pinnedImages)],
            },
        );

        this.registerOutputs({ frontendServiceName: this.frontendServiceName, backendServiceName: this.backendServiceName });
    }
}

/** A transform that rewrites each container image repository:tag to its pinned repository:tag@digest. */
export function pinImageDigests(pinnedImages: pulumi.Input<string>[]): pulumi.ResourceTransform {
    const pinned = pulumi.all(pinnedImages);
    const pin = (container: any) => ({
        ...container,
        image: pinned.apply((refs) => refs.find((ref) => ref.startsWith(`${container.image}@`)) ?? container.image),
    });
    return ({ type, props, opts }) => {
        const podSpec = podSpecOf(type, props);
        if (!podSpec) return undefined;
        podSpec.containers = podSpec.containers?.map(pin);
        podSpec.initContainers = podSpec.initContainers?.map(pin);
        return { props, opts };
    };
}

/** The pod spec inside a workload's properties (mutable), or undefined for other kinds. */
function podSpecOf(type: string, props: any): any {
    if (/^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet|ReplicaSet)|batch\/v1:Job)$/.test(type)) return props.spec?.template?.spec;
    if (type === "kubernetes:batch/v1:CronJob") return props.spec?.jobTemplate?.spec?.template?.spec;
    return undefined;
}
