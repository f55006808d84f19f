// The program's settings: read once, typed, validated. Every problem is reported at
// `pulumi preview`, before anything is created, with the key and the command that fixes it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { distance } from "fastest-levenshtein";
import {
    correctedImageRegistry, databasePasswordProblem, databaseUrlProblem, dnsSubdomainProblem, dockerHostProblem,
    headerTokenProblem, helmRepositoryProblem, hostNameProblem, imageReferenceProblem, imageRegistryProblem, kubeContextProblem,
    kubernetesSuffix, namespaceProblem, openrouterModelProblem, originOf, passwordProblem, pemCertificateProblem,
    pemPrivateKeyProblem, platformProblem, postgresRoleProblem, quantityProblem, registryUsernameProblem, tlsPairProblem,
    urlOriginProblem,
} from "./lib/configGrammar";

// The validators stay importable from here, the module that owns the configuration.
export * from "./lib/configGrammar";

export const PROJECT = "todo-chatbot";

/** Non-secret keys, declared with their defaults in Pulumi.yaml. */
export const SETTING_KEYS = [
    "namespace", "kubeconfig", "kubeContext", "dockerHost", "dockerCertPath",
    "imageRegistry", "imageRegistryUsername", "buildOnPreview", "imagePlatform",
    "frontendReplicas", "backendReplicas", "autoscaling", "autoscalingMaxReplicas", "resourceProfile",
    "frontendServiceType", "frontendNodePort", "publicUrl",
    "ingressEnabled", "ingressHost", "ingressClassName", "ingressTlsSecretName",
    "database", "databaseUser", "databaseStorageSize", "databaseStorageClass", "postgresImage",
    "assistantMode", "openrouterModel", "logLevel",
    "quotaRequestsCpu", "quotaRequestsMemory", "quotaLimitsCpu", "quotaLimitsMemory",
    "backups", "backupSchedule", "backupRetention", "backupStorageSize", "backupKeepOnDestroy",
    "monitoring", "monitoringNamespace", "monitoringChartRepository", "postgresExporterImage",
    "renderYamlToDirectory",
] as const;

/** Secret keys: set with `pulumi config set --secret`, never defaulted (see Pulumi.yaml). */
export const SECRET_KEYS = [
    "betterAuthSecret", "databasePassword", "databaseUrl", "openrouterApiKey",
    "imageRegistryPassword", "ingressTlsCert", "ingressTlsKey",
] as const;

type SettingKey = (typeof SETTING_KEYS)[number];
type SecretKey = (typeof SECRET_KEYS)[number];

export type ResourceProfile = "small" | "medium" | "large";
export type ServiceType = "NodePort" | "ClusterIP";

export interface ContainerResources {
    requests: { cpu: string; memory: string; "ephemeral-storage": string };
    limits: { cpu: string; memory: string; "ephemeral-storage": string };
}

/**
 * Requests and limits per profile; `small` fits the app and its database into a 4-CPU/8-GiB Minikube.
 * Ephemeral storage is the same in every profile: the apps write only to their size-limited emptyDirs
 * (at most 64Mi /tmp + 256Mi Next.js cache, the chart's defaults) and their logs, whatever the load.
 * One value for both apps, so it is sized for the frontend, the larger writer.
 */
const EPHEMERAL_STORAGE = { requests: "128Mi", limits: "512Mi" };
export const RESOURCE_PROFILES: Record<ResourceProfile, ContainerResources> = {
    small: {
        requests: { cpu: "100m", memory: "192Mi", "ephemeral-storage": EPHEMERAL_STORAGE.requests },
        limits: { cpu: "500m", memory: "384Mi", "ephemeral-storage": EPHEMERAL_STORAGE.limits },
    },
    medium: {
        requests: { cpu: "250m", memory: "384Mi", "ephemeral-storage": EPHEMERAL_STORAGE.requests },
        limits: { cpu: "1", memory: "768Mi", "ephemeral-storage": EPHEMERAL_STORAGE.limits },
    },
    large: {
        requests: { cpu: "500m", memory: "768Mi", "ephemeral-storage": EPHEMERAL_STORAGE.requests },
        limits: { cpu: "2", memory: "1536Mi", "ephemeral-storage": EPHEMERAL_STORAGE.limits },
    },
};

export interface RegistrySettings {
    server: string;
    username: string;
    password: pulumi.Output<string>;
}

/** An existing TLS Secret, or a certificate the program stores in a new one. */
export type IngressTls = { secretName: string } | { cert: pulumi.Output<string>; key: pulumi.Output<string> };

export type IngressSettings =
    | { enabled: false }
    | {
          enabled: true;
          host: string;
          className: string;
          tls: IngressTls;
      };

export type DatabaseSettings =
    | {
          mode: "in-cluster";
          storageSize: string;
          storageClass?: string;
          image: string;
          user: string;
          password?: pulumi.Output<string>;
          /** The postgres_exporter sidecar's image; set only while monitoring is on. */
          exporterImage?: string;
      }
    | { mode: "external"; url: pulumi.Output<string> };

/**
 * Scheduled backups of the in-cluster PostgreSQL. They live in a namespace of their own, because
 * deleting the app's namespace (pulumi destroy) deletes every volume in it, whatever Pulumi retains.
 */
export type BackupSettings =
    | { enabled: false }
    | { enabled: true; namespace: string; schedule: string; retention: number; storageSize: string; keepOnDestroy: boolean };

/** kube-prometheus-stack in a namespace of its own, and the app's ServiceMonitors, alerts and dashboards. */
export type MonitoringSettings = { enabled: false } | { enabled: true; namespace: string; chartRepository: string };

/** Appended to the app's namespace to name the backups' namespace. */
export const BACKUP_NAMESPACE_SUFFIX = "-backups";

export interface StackConfig {
    stack: string;
    namespace: string;
    kubernetes: { kubeconfig: string; context: string; renderYamlToDirectory?: string };
    docker: { host?: string; certPath?: string };
    images: { registry?: RegistrySettings; buildOnPreview: boolean; platform: string };
    frontend: { replicas: number; serviceType: ServiceType; nodePort: number };
    backend: { replicas: number };
    resources: ContainerResources;
    autoscaling: { enabled: boolean; maxReplicas: number };
    publicUrl: string;
    ingress: IngressSettings;
    database: DatabaseSettings;
    assistant: { mode: "online" | "offline"; model: string; apiKey?: pulumi.Output<string> };
    logLevel: string;
    betterAuthSecret?: pulumi.Output<string>;
    quota: { requestsCpu: string; requestsMemory: string; limitsCpu: string; limitsMemory: string };
    backups: BackupSettings;
    monitoring: MonitoringSettings;
}

/** Thrown with every configuration problem at once; RunError prints without a stack trace. */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly problems: string[], stack: string) {
        super(
            `Invalid configuration of stack "${stack}" (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
    }
}

/** Raw values as the engine hands them to the program: project-qualified keys, strings. */
export type RawConfig = Record<string, string>;

/** Reads the stack's configuration from the Pulumi engine and validates it. */
export function loadConfig(): StackConfig {
    return parseConfig(pulumi.runtime.allConfig(), pulumi.getStack(), process.env);
}

/** Validates raw configuration (a pure function, so the tests can call it with any input). */
export function parseConfig(raw: RawConfig, stack: string, env: NodeJS.ProcessEnv = {}): StackConfig {
    const r = new ConfigReader(raw, stack);
    reportUnknownKeys(raw, stack, r.problems);
    // The sections are read in the order their problems are listed.
    const namespace = readNamespace(r);
    const registry = readRegistry(r);
    const scaling = readScaling(r);
    const frontendService = readFrontendService(r);
    const ingress = readIngress(r);
    const publicUrl = readPublicUrl(r, ingress, frontendService.nodePort);
    const database = readDatabase(r);
    const backups = readBackups(r, namespace, database);
    const monitoring = readMonitoring(r, namespace, backups);
    if (monitoring.enabled && database.mode === "in-cluster") database.exporterImage = r.text("postgresExporterImage");
    const assistant = readAssistant(r);
    const betterAuthSecret = readAuthSecret(r);
    const kubernetes = readKubernetes(r);
    const docker = readDocker(r, env);
    const config: StackConfig = {
        stack,
        namespace,
        kubernetes,
        docker,
        images: { registry, ...readBuild(r) },
        frontend: { replicas: scaling.frontendReplicas, ...frontendService },
        backend: { replicas: scaling.backendReplicas },
        resources: RESOURCE_PROFILES[r.oneOf<ResourceProfile>("resourceProfile", ["small", "medium", "large"])],
        autoscaling: scaling.autoscaling,
        publicUrl,
        ingress,
        database,
        assistant,
        logLevel: r.oneOf("logLevel", ["DEBUG", "INFO", "WARNING", "ERROR"]),
        betterAuthSecret,
        quota: readQuota(r),
        backups,
        monitoring,
    };
    if (r.problems.length > 0) throw new ConfigError(r.problems, stack);
    return config;
}

/**
 * The raw values of one stack and the problems found in them, shared by the section readers.
 * Each accessor reports what is wrong with its key and returns a value of the right type
 * anyway, so that reading goes on and every problem is reported at once.
 */
class ConfigReader {
    readonly problems: string[] = [];

    constructor(
        private readonly raw: RawConfig,
        readonly stack: string,
    ) {}

    /** The command that sets a key, for the "Fix:" part of a problem. */
    fix(key: string, example: string, secret = false): string {
        return `pulumi config set${secret ? " --secret" : ""} ${key} ${example} --stack ${this.stack}`;
    }

    /** A setting's value; an empty one counts as unset. */
    value(key: SettingKey): string | undefined {
        return this.rawValue(key);
    }

    /** A secret's plain text, to validate it: it goes into no message and no resource. */
    secretText(key: SecretKey): string | undefined {
        return this.rawValue(key);
    }

    secret(key: SecretKey): pulumi.Output<string> | undefined {
        const v = this.secretText(key);
        return v === undefined ? undefined : pulumi.secret(v);
    }

    requireSecret(key: SecretKey, why: string, example: string): pulumi.Output<string> | undefined {
        const s = this.secret(key);
        if (!s) this.problems.push(`${key} is required ${why}. Fix: ${this.fix(key, example, true)}`);
        return s;
    }

    /** A setting Pulumi.yaml gives a default, so unset means the default was removed. */
    text(key: SettingKey): string {
        const v = this.value(key);
        if (v === undefined) this.problems.push(`${key} is not set and has no default. Fix: ${this.fix(key, "<value>")} (or restore its default in Pulumi.yaml)`);
        return v ?? "";
    }

    integer(key: SettingKey, min: number, max: number): number {
        const v = this.text(key);
        const n = Number(v);
        // Digits only: Number() would also take " 2", "0x10", "1e1" and "2.0".
        if (v !== "" && (!/^[+-]?\d+$/.test(v) || n < min || n > max)) {
            this.problems.push(`${key} must be a whole number from ${min} to ${max}, got "${v}". Fix: ${this.fix(key, String(min))}`);
        }
        return n;
    }

    bool(key: SettingKey): boolean {
        const v = this.text(key);
        if (v !== "" && v !== "true" && v !== "false") this.problems.push(`${key} must be true or false, got "${v}". Fix: ${this.fix(key, "true")}`);
        return v === "true";
    }

    oneOf<T extends string>(key: SettingKey, allowed: readonly T[]): T {
        const v = this.text(key);
        if (v !== "" && !allowed.includes(v as T)) {
            this.problems.push(`${key} must be one of ${allowed.join(", ")}, got "${v}". Fix: ${this.fix(key, allowed[0])}`);
        }
        return v as T;
    }

    /** Checks a set value by the grammar of what it becomes; the fix offers the corrected value when there is one. */
    check(key: SettingKey, v: string | undefined, problemOf: (v: string) => string | undefined, example: string, correct?: (v: string) => string): void {
        const problem = v === undefined || v === "" ? undefined : problemOf(v);
        if (v === undefined || problem === undefined) return;
        const corrected = correct?.(v);
        const suggestion = corrected && corrected !== v && !problemOf(corrected) ? corrected : example;
        this.problems.push(`${key} "${withoutPassword(v)}" ${problem}. Fix: ${this.fix(key, suggestion)}`);
    }

    /** The same for a secret, whose value is never echoed. */
    checkSecret(key: SecretKey, problemOf: (v: string) => string | undefined, fixText: string): boolean {
        const v = this.secretText(key);
        const problem = v === undefined ? undefined : problemOf(v);
        if (problem) this.problems.push(`${key} ${problem}. Fix: ${fixText}`);
        return problem === undefined;
    }

    quantity(key: SettingKey, unit: "cpu" | "bytes", example: string): string {
        const v = this.text(key);
        this.check(key, v, (q) => quantityProblem(q, unit), example, kubernetesSuffix);
        return v;
    }

    private rawValue(key: SettingKey | SecretKey): string | undefined {
        const v = this.raw[`${PROJECT}:${key}`];
        return v === undefined || v === "" ? undefined : v;
    }
}

const lowercase = (v: string) => v.toLowerCase();

function readNamespace(r: ConfigReader): string {
    const namespace = r.text("namespace");
    r.check("namespace", namespace, namespaceProblem, "todo-chatbot", lowercase);
    return namespace;
}

/** Where the images are pushed; without a registry they are built into the cluster's own Docker daemon. */
function readRegistry(r: ConfigReader): RegistrySettings | undefined {
    // A trailing '/' is dropped: the program appends /todo-chatbot-<app> itself.
    const server = r.value("imageRegistry")?.replace(/\/+$/, "");
    r.check("imageRegistry", server, imageRegistryProblem, "ghcr.io/acme", correctedImageRegistry);
    r.check("imageRegistryUsername", r.value("imageRegistryUsername"), registryUsernameProblem, "<user>");
    r.checkSecret("imageRegistryPassword", passwordProblem, r.fix("imageRegistryPassword", "<token>", true));
    if (!server) return undefined;
    const username = r.value("imageRegistryUsername");
    if (!username) r.problems.push(`imageRegistryUsername is required when imageRegistry is set. Fix: ${r.fix("imageRegistryUsername", "<user>")}`);
    const password = r.requireSecret("imageRegistryPassword", "when imageRegistry is set", "<token>");
    return username && password ? { server, username, password } : undefined;
}

/** How the images are built, wherever they go. */
function readBuild(r: ConfigReader): Omit<StackConfig["images"], "registry"> {
    const buildOnPreview = r.bool("buildOnPreview");
    const platform = r.text("imagePlatform");
    r.check("imagePlatform", platform, platformProblem, "linux/amd64");
    return { buildOnPreview, platform };
}

function readScaling(r: ConfigReader): { frontendReplicas: number; backendReplicas: number; autoscaling: StackConfig["autoscaling"] } {
    const frontendReplicas = r.integer("frontendReplicas", 1, 50);
    const backendReplicas = r.integer("backendReplicas", 1, 50);
    const autoscaling = { enabled: r.bool("autoscaling"), maxReplicas: r.integer("autoscalingMaxReplicas", 1, 100) };
    if (autoscaling.enabled && autoscaling.maxReplicas < Math.max(frontendReplicas, backendReplicas)) {
        r.problems.push(
            `autoscalingMaxReplicas (${autoscaling.maxReplicas}) must be at least the replica counts (frontend ${frontendReplicas}, backend ${backendReplicas}). ` +
                `Fix: ${r.fix("autoscalingMaxReplicas", String(Math.max(frontendReplicas, backendReplicas)))}`,
        );
    }
    return { frontendReplicas, backendReplicas, autoscaling };
}

function readFrontendService(r: ConfigReader): Omit<StackConfig["frontend"], "replicas"> {
    return {
        serviceType: r.oneOf<ServiceType>("frontendServiceType", ["NodePort", "ClusterIP"]),
        nodePort: r.integer("frontendNodePort", 30000, 32767),
    };
}

function readIngress(r: ConfigReader): IngressSettings {
    // Checked even while the Ingress is off, so a mistake shows before it is switched on.
    r.check("ingressHost", r.value("ingressHost"), hostNameProblem, "todo.example.com", (v) => v.toLowerCase().replace(/\.$/, ""));
    r.check("ingressClassName", r.value("ingressClassName"), dnsSubdomainProblem, "nginx", lowercase);
    r.check("ingressTlsSecretName", r.value("ingressTlsSecretName"), dnsSubdomainProblem, "todo-chatbot-tls", lowercase);
    const certValid = r.checkSecret("ingressTlsCert", pemCertificateProblem, tlsFix(r, "ingressTlsCert", "cert.pem"));
    const keyValid = r.checkSecret("ingressTlsKey", pemPrivateKeyProblem, tlsFix(r, "ingressTlsKey", "key.pem"));
    if (!r.bool("ingressEnabled")) return { enabled: false };
    const host = r.value("ingressHost");
    if (!host) r.problems.push(`ingressHost is required when ingressEnabled is true. Fix: ${r.fix("ingressHost", "todo.example.com")}`);
    const tls = readIngressTls(r, host, certValid && keyValid);
    return host && tls ? { enabled: true, host, className: r.text("ingressClassName"), tls } : { enabled: false };
}

/** The Ingress's TLS: an existing Secret, else a certificate and key that make a pair for host. */
function readIngressTls(r: ConfigReader, host: string | undefined, pemValid: boolean): IngressTls | undefined {
    const secretName = r.value("ingressTlsSecretName");
    if (secretName) return { secretName };
    const certPem = r.secretText("ingressTlsCert");
    const keyPem = r.secretText("ingressTlsKey");
    if (certPem && keyPem) {
        const pair = pemValid ? tlsPairProblem(certPem, keyPem, host) : undefined;
        if (pair) r.problems.push(`${pair}. Fix: ${tlsFix(r, "ingressTlsCert", "cert.pem")} and ${tlsFix(r, "ingressTlsKey", "key.pem")} with a matching, current pair`);
        return { cert: pulumi.secret(certPem), key: pulumi.secret(keyPem) };
    }
    if (certPem || keyPem) {
        const [missing, file] = certPem ? (["ingressTlsKey", "key.pem"] as const) : (["ingressTlsCert", "cert.pem"] as const);
        r.problems.push(`${missing} is required when ${certPem ? "ingressTlsCert" : "ingressTlsKey"} is set. Fix: ${tlsFix(r, missing, file)}`);
    } else {
        r.problems.push(
            `an Ingress needs TLS: name an existing TLS Secret or give a certificate. ` +
                `Fix: ${r.fix("ingressTlsSecretName", "todo-chatbot-tls")}, or ` +
                `'cat cert.pem | pulumi config set --secret ingressTlsCert --stack ${r.stack}' and the same for ingressTlsKey`,
        );
    }
    return undefined;
}

/** The command that stores a PEM file as a secret. */
function tlsFix(r: ConfigReader, key: SecretKey, file: string): string {
    return `cat ${file} | pulumi config set --secret ${key} --stack ${r.stack}`;
}

function readPublicUrl(r: ConfigReader, ingress: IngressSettings, nodePort: number): string {
    r.check("publicUrl", r.value("publicUrl"), urlOriginProblem, "https://todo.example.com", originOf);
    // The origin as browsers send it (lowercase host, no default port), so CORS and auth match it.
    return originOf(r.value("publicUrl") ?? (ingress.enabled ? `https://${ingress.host}` : `http://localhost:${nodePort}`));
}

function readDatabase(r: ConfigReader): DatabaseSettings {
    // The settings of both database modes are checked whichever is chosen, to fail before a switch.
    const storageSize = r.quantity("databaseStorageSize", "bytes", "1Gi");
    r.check("databaseStorageClass", r.value("databaseStorageClass"), dnsSubdomainProblem, "standard", lowercase);
    const image = r.text("postgresImage");
    r.check("postgresImage", image, imageReferenceProblem, "postgres:15.10-bookworm", lowercase);
    const user = r.text("databaseUser");
    r.check("databaseUser", user, postgresRoleProblem, "todo", (v) => v.toLowerCase().replace(/[^a-z0-9_]/g, "_"));
    r.checkSecret("databasePassword", databasePasswordProblem, r.fix("databasePassword", "\"$(openssl rand -hex 24)\"", true));
    r.checkSecret("databaseUrl", databaseUrlProblem, r.fix("databaseUrl", "'postgresql://USER:PASSWORD@HOST:5432/DB'", true));
    if (r.oneOf<DatabaseSettings["mode"]>("database", ["in-cluster", "external"]) === "external") {
        const url = r.requireSecret("databaseUrl", 'when database is "external"', "'postgresql://USER:PASSWORD@HOST:5432/DB'");
        return { mode: "external", url: url ?? pulumi.secret("") };
    }
    return { mode: "in-cluster", storageSize, storageClass: r.value("databaseStorageClass"), image, user, password: r.secret("databasePassword") };
}

/** Scheduled backups; their settings are checked even while they are off, so a mistake shows before they are switched on. */
function readBackups(r: ConfigReader, namespace: string, database: DatabaseSettings): BackupSettings {
    const schedule = r.text("backupSchedule");
    r.check("backupSchedule", schedule, cronScheduleProblem, "'0 3 * * *'");
    const retention = r.integer("backupRetention", 1, 100);
    const storageSize = r.quantity("backupStorageSize", "bytes", "2Gi");
    const keepOnDestroy = r.bool("backupKeepOnDestroy");
    if (!r.bool("backups")) return { enabled: false };
    if (database.mode === "external") {
        r.problems.push(
            `backups are scheduled for the in-cluster database only; database is "external" (use its provider's backups). ` +
                `Fix: ${r.fix("backups", "false")}`,
        );
        return { enabled: false };
    }
    const backupNamespace = `${namespace}${BACKUP_NAMESPACE_SUFFIX}`;
    if (backupNamespace.length > 63) {
        r.problems.push(
            `namespace "${namespace}" is too long for backups: their namespace ${backupNamespace} would exceed 63 characters. ` +
                `Fix: ${r.fix("namespace", namespace.slice(0, 63 - BACKUP_NAMESPACE_SUFFIX.length).replace(/-+$/, ""))}`,
        );
    }
    return { enabled: true, namespace: backupNamespace, schedule, retention, storageSize, keepOnDestroy };
}

/** Monitoring; its settings are checked even while it is off. */
function readMonitoring(r: ConfigReader, appNamespace: string, backups: BackupSettings): MonitoringSettings {
    const namespace = r.text("monitoringNamespace");
    r.check("monitoringNamespace", namespace, namespaceProblem, "monitoring", lowercase);
    const taken = [appNamespace, ...(backups.enabled ? [backups.namespace] : [])];
    if (taken.includes(namespace)) {
        r.problems.push(`monitoringNamespace "${namespace}" is already the app's or its backups' namespace; the stack needs one of its own. Fix: ${r.fix("monitoringNamespace", "monitoring")}`);
    }
    const chartRepository = r.text("monitoringChartRepository");
    r.check("monitoringChartRepository", chartRepository, helmRepositoryProblem, "https://prometheus-community.github.io/helm-charts");
    r.check("postgresExporterImage", r.text("postgresExporterImage"), imageReferenceProblem, "quay.io/prometheuscommunity/postgres-exporter:v0.18.1", lowercase);
    return r.bool("monitoring") ? { enabled: true, namespace, chartRepository } : { enabled: false };
}

const CRON_FIELDS: { name: string; min: number; max: number; names?: string[]; question?: boolean }[] = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31, question: true },
    { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
    { name: "day of week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], question: true },
];
/** The descriptors Kubernetes' cron parser accepts instead of five fields. */
const CRON_DESCRIPTORS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/**
 * A CronJob schedule as Kubernetes parses it (robfig/cron's standard parser): five fields, minute
 * hour day-of-month month day-of-week, each `*`, a value, a range a-b, a list a,b and optional
 * steps /n, months and weekdays also by name; or a descriptor such as @daily. No TZ= prefix: the
 * API server refuses it in `schedule` (the CronJob's `timeZone` says the zone).
 */
export function cronScheduleProblem(v: string): string | undefined {
    const grammar = "five fields: minute hour day-of-month month day-of-week, e.g. '0 3 * * *'";
    if (/^\s*(CRON_)?TZ=/.test(v)) return "must not set a time zone (Kubernetes refuses TZ= in a schedule; backups run in UTC)";
    if (v.startsWith("@")) return CRON_DESCRIPTORS.includes(v) ? undefined : `is not a schedule Kubernetes knows (${CRON_DESCRIPTORS.join(", ")}, or ${grammar})`;
    const fields = v.trim().split(/\s+/);
    if (fields.length !== 5) return `must have ${grammar}; it has ${fields.length} field${fields.length === 1 ? "" : "s"}`;
    for (const [i, field] of fields.entries()) {
        const spec = CRON_FIELDS[i];
        const number = (text: string): number => {
            const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
            if (named >= 0) return named + spec.min;
            return /^\d+$/.test(text) ? Number(text) : NaN;
        };
        const valid = field.split(",").every((part) => {
            const m = /^(?:(\*)|(\?)|([0-9A-Za-z]+)(?:-([0-9A-Za-z]+))?)(?:\/(\d+))?$/.exec(part);
            if (!m) return false;
            const [, star, question, from, to, step] = m;
            if (question) return spec.question === true && step === undefined;
            if (step !== undefined && Number(step) < 1) return false;
            if (star) return true;
            const low = number(from);
            const high = to === undefined ? low : number(to);
            return low >= spec.min && high <= spec.max && low <= high;
        });
        if (!valid) {
            const names = spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : "";
            return `has an invalid ${spec.name} field "${field}" (${spec.min}-${spec.max}${names}; a list a,b, a range a-b, a step */n)`;
        }
    }
    return undefined;
}

function readAssistant(r: ConfigReader): StackConfig["assistant"] {
    const mode = r.oneOf<StackConfig["assistant"]["mode"]>("assistantMode", ["online", "offline"]);
    const apiKey =
        mode === "online"
            ? r.requireSecret("openrouterApiKey", 'when assistantMode is "online"', "<openrouter-key>")
            : r.secret("openrouterApiKey");
    r.checkSecret("openrouterApiKey", headerTokenProblem, r.fix("openrouterApiKey", "<openrouter-key>", true));
    const model = r.text("openrouterModel");
    r.check("openrouterModel", model, openrouterModelProblem, "openai/gpt-4o-mini");
    return { mode, model, apiKey };
}

function readAuthSecret(r: ConfigReader): pulumi.Output<string> | undefined {
    const v = r.secretText("betterAuthSecret");
    if (v && v.length < 32) {
        r.problems.push(`betterAuthSecret must be at least 32 characters (or unset, to generate one). Fix: ${r.fix("betterAuthSecret", "\"$(openssl rand -base64 48)\"", true)}`);
    }
    return r.secret("betterAuthSecret");
}

/** The cluster the program deploys to, or the directory it renders YAML into instead (then no kubeconfig is needed). */
function readKubernetes(r: ConfigReader): StackConfig["kubernetes"] {
    const kubeconfig = expandHome(r.text("kubeconfig"));
    const renderYamlToDirectory = r.value("renderYamlToDirectory");
    if (kubeconfig && !renderYamlToDirectory && !fs.existsSync(kubeconfig)) {
        r.problems.push(
            `kubeconfig ${kubeconfig} does not exist. Fix: start the cluster (\`minikube start\` writes it), ` +
                `or ${r.fix("kubeconfig", "/path/to/kubeconfig")}`,
        );
    } else if (kubeconfig && !renderYamlToDirectory && !fs.statSync(kubeconfig).isFile()) {
        r.problems.push(`kubeconfig ${kubeconfig} is not a file. Fix: ${r.fix("kubeconfig", "/path/to/kubeconfig")}`);
    }
    if (renderYamlToDirectory && fs.existsSync(renderYamlToDirectory) && !fs.statSync(renderYamlToDirectory).isDirectory()) {
        r.problems.push(`renderYamlToDirectory ${renderYamlToDirectory} is not a directory. Fix: ${r.fix("renderYamlToDirectory", "/path/to/directory")}`);
    }
    r.check("renderYamlToDirectory", renderYamlToDirectory, renderDirectoryProblem, "/tmp/todo-chatbot-manifests");
    const context = r.text("kubeContext");
    r.check("kubeContext", context, kubeContextProblem, "minikube", (v) => v.trim());
    return { kubeconfig, context, renderYamlToDirectory };
}

/**
 * The Docker daemon the images are built with. Minikube's daemon is reached the way
 * `minikube docker-env` says; the docker provider does not reliably pick those variables
 * up itself, so they are passed to it explicitly.
 */
function readDocker(r: ConfigReader, env: NodeJS.ProcessEnv): StackConfig["docker"] {
    r.check("dockerHost", r.value("dockerHost"), dockerHostProblem, "unix:///var/run/docker.sock");
    const configuredCertPath = r.value("dockerCertPath");
    r.check("dockerCertPath", configuredCertPath && expandHome(configuredCertPath), dockerCertPathProblem, "/path/to/certs");
    const certPath = configuredCertPath ?? (env.DOCKER_TLS_VERIFY ? env.DOCKER_CERT_PATH : undefined);
    return { host: r.value("dockerHost") ?? env.DOCKER_HOST, certPath: certPath && expandHome(certPath) };
}

/** The namespace's ResourceQuota. */
function readQuota(r: ConfigReader): StackConfig["quota"] {
    return {
        requestsCpu: r.quantity("quotaRequestsCpu", "cpu", "3"),
        requestsMemory: r.quantity("quotaRequestsMemory", "bytes", "6Gi"),
        limitsCpu: r.quantity("quotaLimitsCpu", "cpu", "6"),
        limitsMemory: r.quantity("quotaLimitsMemory", "bytes", "8Gi"),
    };
}

/** A directory of Docker TLS client files, as DOCKER_CERT_PATH names it. */
export function dockerCertPathProblem(dir: string): string | undefined {
    if (!fs.existsSync(dir)) return "does not exist";
    if (!fs.statSync(dir).isDirectory()) return "is not a directory";
    const missing = ["ca.pem", "cert.pem", "key.pem"].filter((file) => !fs.existsSync(path.join(dir, file)));
    return missing.length > 0 ? `has no ${missing.join(", ")} (a TLS Docker daemon needs all three)` : undefined;
}

/** Strips the password from a value echoed in a message, should it be a URL that holds one. */
function withoutPassword(v: string): string {
    return v.replace(/\/\/([^/@\s:]*):[^/@\s]*@/, "//$1:***@");
}

function reportUnknownKeys(raw: RawConfig, stack: string, problems: string[]) {
    const known: string[] = [...SETTING_KEYS, ...SECRET_KEYS];
    for (const fullKey of Object.keys(raw)) {
        if (!fullKey.startsWith(`${PROJECT}:`)) continue; // provider settings such as kubernetes:* are not ours
        const key = fullKey.slice(PROJECT.length + 1);
        if (known.includes(key)) continue;
        const suggestion = nearestKey(key, known);
        problems.push(
            `${key} is not a setting of this program${suggestion ? ` (did you mean ${suggestion}?)` : ""}. ` +
                `Fix: pulumi config rm ${key} --stack ${stack}` +
                (suggestion ? `, then set ${suggestion} instead` : "; the settings are listed in Pulumi.yaml"),
        );
    }
}

/** The known key nearest to a typo, if it is near enough to be what was meant. */
function nearestKey(key: string, known: string[]): string | undefined {
    const maxDistance = Math.max(2, Math.floor(key.length / 3));
    const ranked = known
        .map((candidate) => ({ candidate, d: distance(key.toLowerCase(), candidate.toLowerCase()) }))
        .sort((a, b) => a.d - b.d);
    return ranked[0] && ranked[0].d <= maxDistance ? ranked[0].candidate : undefined;
}

function expandHome(p: string): string {
    return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

/**
 * The rendered manifests include the app's Secrets, whose data is plain base64 (the Kubernetes
 * provider documents this), so they must never be written where they could be committed.
 */
function renderDirectoryProblem(dir: string): string | undefined {
    const relative = path.relative(__dirname, path.resolve(expandHome(dir)));
    const inside = relative === "" || !(relative.startsWith("..") || path.isAbsolute(relative));
    return inside ? "lies inside the project, but the rendered Secrets hold their values in plain base64; render outside it" : undefined;
}
