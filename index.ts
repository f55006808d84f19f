// The Todo Chatbot on Kubernetes: reads the stack's configuration and composes the
// components. Everything else lives in config.ts and components/.
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { loadConfig } from "./config";
import { AppImage } from "./components/appImage";
import { AppSecrets } from "./components/appSecrets";
import { Backups } from "./components/backups";
import { Database } from "./components/database";
import { MONITORING_CHART_VERSION, Monitoring } from "./components/monitoring";
import { Platform } from "./components/platform";
import { TodoChatbotChart } from "./components/todoChatbotChart";
import { reachableKubeconfig } from "./lib/kubernetesApi";
import { RELEASE_NAME } from "./lib/labels";
import pluginVersions from "./lib/pluginVersions.json";

const config = loadConfig();

const kubernetes = new k8s.Provider("kubernetes", {
    kubeconfig: config.kubernetes.renderYamlToDirectory
        ? undefined
        : reachableKubeconfig(config.kubernetes.kubeconfig, config.kubernetes.context, config.stack),
    context: config.kubernetes.renderYamlToDirectory ? undefined : config.kubernetes.context,
    renderYamlToDirectory: config.kubernetes.renderYamlToDirectory,
    enableServerSideApply: true,
});
const randomProvider = new random.Provider("random");
// The docker plugin is newer than its SDK (docs/DECISIONS.md, "Pulumi versions"): ask for it by version.
const dockerDaemon = new docker.Provider(
    "docker",
    { host: config.docker.host, certPath: config.docker.certPath },
    { version: pluginVersions.docker },
);

const platform = new Platform("platform", {
    namespace: config.namespace,
    database: config.database.mode,
    assistantOnline: config.assistant.mode === "online",
    monitoringNamespace: config.monitoring.enabled ? config.monitoring.namespace : undefined,
    quota: config.quota,
    provider: kubernetes,
});

// Prometheus and Grafana first: the app's ServiceMonitors and PrometheusRule need the stack's CRDs.
const monitoring = config.monitoring.enabled
    ? new Monitoring("monitoring", {
          namespace: config.monitoring.namespace,
          chartRepository: config.monitoring.chartRepository,
          chartVersion: MONITORING_CHART_VERSION,
          provider: kubernetes,
          randomProvider,
      })
    : undefined;

const database =
    config.database.mode === "in-cluster"
        ? new Database("postgresql", {
              namespace: platform.namespace,
              image: config.database.image,
              storageSize: config.database.storageSize,
              storageClass: config.database.storageClass,
              user: config.database.user,
              password: config.database.password,
              exporterImage: config.database.exporterImage,
              provider: kubernetes,
              randomProvider,
          }, { dependsOn: monitoring ? [monitoring] : [] })
        : undefined;

// Scheduled pg_dump of the in-cluster database (config.ts allows backups with it only).
const backups =
    database && config.backups.enabled && config.database.mode === "in-cluster"
        ? new Backups("backups", {
              namespace: config.backups.namespace,
              databaseNamespace: platform.namespace,
              databaseUrl: database.url,
              image: config.database.image,
              schedule: config.backups.schedule,
              retention: config.backups.retention,
              storageSize: config.backups.storageSize,
              storageClass: config.database.storageClass,
              keepOnDestroy: config.backups.keepOnDestroy,
              provider: kubernetes,
          })
        : undefined;

const secrets = new AppSecrets("app-secrets", {
    namespace: platform.namespace,
    databaseUrl: config.database.mode === "in-cluster" ? database!.url : config.database.url,
    betterAuthSecret: config.betterAuthSecret,
    openrouterApiKey: config.assistant.apiKey,
    ingressTls: config.ingress.enabled && "cert" in config.ingress.tls ? config.ingress.tls : undefined,
    provider: kubernetes,
    randomProvider,
});

const images = {
    frontend: new AppImage("frontend", {
        app: "frontend",
        context: path.join(__dirname, "app", "frontend"),
        registry: config.images.registry,
        buildOnPreview: config.images.buildOnPreview,
        platform: config.images.platform,
        provider: dockerDaemon,
    }),
    backend: new AppImage("backend", {
        app: "backend",
        context: path.join(__dirname, "app", "backend"),
        registry: config.images.registry,
        buildOnPreview: config.images.buildOnPreview,
        platform: config.images.platform,
        provider: dockerDaemon,
    }),
};

const app = new TodoChatbotChart(
    "todo-chatbot",
    {
        chartPath: path.join(__dirname, "charts", "todo-chatbot"),
        releaseName: RELEASE_NAME,
        namespace: platform.namespace,
        existingSecret: secrets.secretName,
        frontend: {
            image: images.frontend.reference,
            replicas: config.frontend.replicas,
            serviceType: config.frontend.serviceType,
            nodePort: config.frontend.nodePort,
        },
        backend: {
            image: images.backend.reference,
            replicas: config.backend.replicas,
        },
        resources: config.resources,
        autoscaling: config.autoscaling,
        publicUrl: config.publicUrl,
        ingress: config.ingress.enabled
            ? {
                  host: config.ingress.host,
                  className: config.ingress.className,
                  tlsSecretName: "secretName" in config.ingress.tls ? config.ingress.tls.secretName : secrets.tlsSecretName!,
              }
            : undefined,
        pinnedImages: [images.frontend.imageRef, images.backend.imageRef],
        openrouterModel: config.assistant.model,
        logLevel: config.logLevel,
        monitoring: config.monitoring.enabled,
        provider: kubernetes,
    },
    // The backend's init container migrates the database, so the database must be up first.
    { dependsOn: [...(database ? [database] : []), ...(monitoring ? [monitoring] : [])] },
);

const kubectl = `kubectl --context ${config.kubernetes.context} --namespace ${config.namespace}`;

export const namespace = platform.namespace;
export const frontendImage = images.frontend.imageRef;
export const backendImage = images.backend.imageRef;
export const frontendUrl = config.publicUrl;
export const openFrontend =
    config.frontend.serviceType === "NodePort"
        ? `minikube service ${app.frontendServiceName} --namespace ${config.namespace} --url`
        : `open ${config.publicUrl}`;
export const kubectlHint = `${kubectl} get pods,services,ingress   # logs: ${kubectl} logs deploy/${app.backendServiceName}`;
export const databaseMode = config.database.mode;
// The role the deployed app connects as; scripts/db-rotate-password.sh alternates it.
export const databaseUser = config.database.mode === "in-cluster" ? config.database.user : null;
// Where scripts/db-backup.sh and db-restore.sh find the cluster (the database pod by its labels).
export const kubeContext = config.kubernetes.context;
export const kubeconfig = config.kubernetes.kubeconfig;
// The scheduled backups (scripts/db-backup.sh --list-volume / --from-volume); null when off,
// since Pulumi warns on every undefined output.
export const backupNamespace = backups?.namespace ?? null;
export const backupCronJob = backups?.cronJobName ?? null;
export const backupVolume = backups?.volumeClaimName ?? null;
export const assistantMode = config.assistant.mode;
// Grafana and Prometheus on this machine (docs/OBSERVABILITY.md); null while monitoring is off.
const monitoringKubectl = monitoring && pulumi.interpolate`kubectl --context ${config.kubernetes.context} --namespace ${monitoring.namespace}`;
export const readGrafanaPassword = monitoring
    ? pulumi.interpolate`${monitoringKubectl} get secret ${monitoring.grafanaAdminSecretName} -o jsonpath='{.data.admin-password}' | base64 -d`
    : null;
export const openGrafana = monitoring
    ? pulumi.interpolate`${monitoringKubectl} port-forward svc/${monitoring.grafanaServiceName} 3001:80   # then http://localhost:3001, user admin`
    : null;
export const openPrometheus = monitoring
    ? pulumi.interpolate`${monitoringKubectl} port-forward svc/${monitoring.prometheusServiceName} 9090   # then http://localhost:9090/alerts`
    : null;
