// The program's settings: read once, typed, validated. Every problem is reported at
// `pulumi preview`, before anything is created, with the key and the command that fixes it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { distance } from "fastest-levenshtein";

export const PROJECT = "todo-chatbot";

/** Non-secret keys, declared with their defaults in Pulumi.yaml. */
export const SETTING_KEYS = [
    "namespace", "kubeconfig", "kubeContext", "dockerHost", "dockerCertPath",
    "imageRegistry", "imageRegistryUsername", "buildOnPreview",
    "frontendReplicas", "backendReplicas", "autoscaling", "autoscalingMaxReplicas", "resourceProfile",
    "frontendServiceType", "frontendNodePort", "publicUrl",
    "ingressEnabled", "ingressHost", "ingressClassName", "ingressTlsSecretName",
    "database", "databaseStorageSize", "databaseStorageClass", "postgresImage",
    "assistantMode", "openrouterModel", "logLevel",
    "quotaRequestsCpu", "quotaRequestsMemory", "quotaLimitsCpu", "quotaLimitsMemory",
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
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

/** Requests and limits per profile; `small` fits the app and its database into a 4-CPU/8-GiB Minikube. */
export const RESOURCE_PROFILES: Record<ResourceProfile, ContainerResources> = {
    small: { requests: { cpu: "100m", memory: "192Mi" }, limits: { cpu: "500m", memory: "384Mi" } },
    medium: { requests: { cpu: "250m", memory: "384Mi" }, limits: { cpu: "1", memory: "768Mi" } },
    large: { requests: { cpu: "500m", memory: "768Mi" }, limits: { cpu: "2", memory: "1536Mi" } },
};

export interface RegistrySettings {
    server: string;
    username: string;
    password: pulumi.Output<string>;
}

export type IngressSettings =
    | { enabled: false }
    | {
          enabled: true;
          host: string;
          className: string;
          /** An existing TLS Secret, or a certificate the program stores in a new one. */
          tls: { secretName: string } | { cert: pulumi.Output<string>; key: pulumi.Output<string> };
      };

export type DatabaseSettings =
    | { mode: "in-cluster"; storageSize: string; storageClass?: string; image: string; password?: pulumi.Output<string> }
    | { mode: "external"; url: pulumi.Output<string> };

export interface StackConfig {
    stack: string;
    namespace: string;
    kubernetes: { kubeconfig: string; context: string; renderYamlToDirectory?: string };
    docker: { host?: string; certPath?: string };
    images: { registry?: RegistrySettings; buildOnPreview: boolean };
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
    const problems: string[] = [];
    const fix = (key: string, example: string, secret = false) =>
        `pulumi config set${secret ? " --secret" : ""} ${key} ${example} --stack ${stack}`;

    reportUnknownKeys(raw, stack, problems);

    const value = (key: SettingKey): string | undefined => {
        const v = raw[`${PROJECT}:${key}`];
        return v === undefined || v === "" ? undefined : v;
    };
    const text = (key: SettingKey): string => {
        const v = value(key);
        if (v === undefined) problems.push(`${key} is not set and has no default. Fix: ${fix(key, "<value>")} (or restore its default in Pulumi.yaml)`);
        return v ?? "";
    };
    const secret = (key: SecretKey): pulumi.Output<string> | undefined => {
        const v = raw[`${PROJECT}:${key}`];
        return v === undefined || v === "" ? undefined : pulumi.secret(v);
    };
    const requireSecret = (key: SecretKey, why: string, example: string): pulumi.Output<string> | undefined => {
        const s = secret(key);
        if (!s) problems.push(`${key} is required ${why}. Fix: ${fix(key, example, true)}`);
        return s;
    };
    const integer = (key: SettingKey, min: number, max: number): number => {
        const v = text(key);
        const n = Number(v);
        if (v !== "" && (!Number.isInteger(n) || n < min || n > max)) {
            problems.push(`${key} must be a whole number from ${min} to ${max}, got "${v}". Fix: ${fix(key, String(min))}`);
        }
        return n;
    };
    const bool = (key: SettingKey): boolean => {
        const v = text(key);
        if (v !== "" && v !== "true" && v !== "false") problems.push(`${key} must be true or false, got "${v}". Fix: ${fix(key, "true")}`);
        return v === "true";
    };
    function oneOf<T extends string>(key: SettingKey, allowed: readonly T[]): T {
        const v = text(key);
        if (v !== "" && !allowed.includes(v as T)) {
            problems.push(`${key} must be one of ${allowed.join(", ")}, got "${v}". Fix: ${fix(key, allowed[0])}`);
        }
        return v as T;
    }
    const quantity = (key: SettingKey, example: string): string => {
        const v = text(key);
        if (v !== "" && !/^\d+(\.\d+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.test(v)) {
            problems.push(`${key} must be a Kubernetes quantity such as ${example}, got "${v}". Fix: ${fix(key, example)}`);
        }
        return v;
    };

    const namespace = text("namespace");
    if (namespace && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
        problems.push(`namespace must be a DNS label (lowercase letters, digits, '-'), got "${namespace}". Fix: ${fix("namespace", "todo-chatbot")}`);
    }

    // Images: pushed to a registry, or built into the cluster's own Docker daemon.
    const registryServer = value("imageRegistry");
    let registry: RegistrySettings | undefined;
    if (registryServer) {
        const username = value("imageRegistryUsername");
        if (!username) problems.push(`imageRegistryUsername is required when imageRegistry is set. Fix: ${fix("imageRegistryUsername", "<user>")}`);
        const password = requireSecret("imageRegistryPassword", "when imageRegistry is set", "<token>");
        if (username && password) registry = { server: registryServer.replace(/\/+$/, ""), username, password };
    }

    const frontendReplicas = integer("frontendReplicas", 1, 50);
    const backendReplicas = integer("backendReplicas", 1, 50);
    const autoscaling = { enabled: bool("autoscaling"), maxReplicas: integer("autoscalingMaxReplicas", 1, 100) };
    if (autoscaling.enabled && autoscaling.maxReplicas < Math.max(frontendReplicas, backendReplicas)) {
        problems.push(
            `autoscalingMaxReplicas (${autoscaling.maxReplicas}) must be at least the replica counts (frontend ${frontendReplicas}, backend ${backendReplicas}). ` +
                `Fix: ${fix("autoscalingMaxReplicas", String(Math.max(frontendReplicas, backendReplicas)))}`,
        );
    }

    const serviceType = oneOf<ServiceType>("frontendServiceType", ["NodePort", "ClusterIP"]);
    const nodePort = integer("frontendNodePort", 30000, 32767);

    const ingressEnabled = bool("ingressEnabled");
    let ingress: IngressSettings = { enabled: false };
    if (ingressEnabled) {
        const host = value("ingressHost");
        if (!host) problems.push(`ingressHost is required when ingressEnabled is true. Fix: ${fix("ingressHost", "todo.example.com")}`);
        else if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/.test(host)) {
            problems.push(`ingressHost must be a DNS name such as todo.example.com, got "${host}". Fix: ${fix("ingressHost", "todo.example.com")}`);
        }
        const secretName = value("ingressTlsSecretName");
        const cert = secret("ingressTlsCert");
        const key = secret("ingressTlsKey");
        let tls: { secretName: string } | { cert: pulumi.Output<string>; key: pulumi.Output<string> } | undefined;
        if (secretName) tls = { secretName };
        else if (cert && key) tls = { cert, key };
        else {
            problems.push(
                `an Ingress needs TLS: name an existing TLS Secret or give a certificate. ` +
                    `Fix: ${fix("ingressTlsSecretName", "todo-chatbot-tls")}, or ` +
                    `'cat cert.pem | pulumi config set --secret ingressTlsCert --stack ${stack}' and the same for ingressTlsKey`,
            );
        }
        if (host && tls) ingress = { enabled: true, host, className: text("ingressClassName"), tls };
    }

    const nodePortUrl = `http://localhost:${nodePort}`;
    const publicUrl = value("publicUrl") ?? (ingress.enabled ? `https://${ingress.host}` : nodePortUrl);
    if (!/^https?:\/\/[^/\s]+\/?$/.test(publicUrl)) {
        problems.push(`publicUrl must be an origin such as https://todo.example.com, got "${publicUrl}". Fix: ${fix("publicUrl", "https://todo.example.com")}`);
    }

    const databaseMode = oneOf<"in-cluster" | "external">("database", ["in-cluster", "external"]);
    let database: DatabaseSettings;
    if (databaseMode === "external") {
        const url = requireSecret("databaseUrl", 'when database is "external"', "'postgresql://USER:PASSWORD@HOST:5432/DB'");
        const rawUrl = raw[`${PROJECT}:databaseUrl`];
        const urlProblem = rawUrl ? databaseUrlProblem(rawUrl) : undefined;
        if (urlProblem) problems.push(`databaseUrl ${urlProblem}. Fix: ${fix("databaseUrl", "'postgresql://USER:PASSWORD@HOST:5432/DB'", true)}`);
        database = { mode: "external", url: url ?? pulumi.secret("") };
    } else {
        database = {
            mode: "in-cluster",
            storageSize: quantity("databaseStorageSize", "1Gi"),
            storageClass: value("databaseStorageClass"),
            image: text("postgresImage"),
            password: secret("databasePassword"),
        };
    }

    const assistantMode = oneOf<"online" | "offline">("assistantMode", ["online", "offline"]);
    const apiKey =
        assistantMode === "online"
            ? requireSecret("openrouterApiKey", 'when assistantMode is "online"', "<openrouter-key>")
            : secret("openrouterApiKey");

    const betterAuthSecret = secret("betterAuthSecret");
    const rawAuthSecret = raw[`${PROJECT}:betterAuthSecret`];
    if (rawAuthSecret && rawAuthSecret.length < 32) {
        problems.push(`betterAuthSecret must be at least 32 characters (or unset, to generate one). Fix: ${fix("betterAuthSecret", "\"$(openssl rand -base64 48)\"", true)}`);
    }

    const kubeconfig = expandHome(text("kubeconfig"));
    const renderYamlToDirectory = value("renderYamlToDirectory");
    if (kubeconfig && !renderYamlToDirectory && !fs.existsSync(kubeconfig)) {
        problems.push(
            `kubeconfig ${kubeconfig} does not exist. Fix: start the cluster (\`minikube start\` writes it), ` +
                `or ${fix("kubeconfig", "/path/to/kubeconfig")}`,
        );
    }
    // Minikube's daemon is reached the way `minikube docker-env` says; the docker provider
    // does not reliably pick those variables up itself, so they are passed to it explicitly.
    const dockerHost = value("dockerHost") ?? env.DOCKER_HOST;
    const dockerCertPath = value("dockerCertPath") ?? (env.DOCKER_TLS_VERIFY ? env.DOCKER_CERT_PATH : undefined);

    const config: StackConfig = {
        stack,
        namespace,
        kubernetes: { kubeconfig, context: text("kubeContext"), renderYamlToDirectory },
        docker: { host: dockerHost, certPath: dockerCertPath && expandHome(dockerCertPath) },
        images: { registry, buildOnPreview: bool("buildOnPreview") },
        frontend: { replicas: frontendReplicas, serviceType, nodePort },
        backend: { replicas: backendReplicas },
        resources: RESOURCE_PROFILES[oneOf<ResourceProfile>("resourceProfile", ["small", "medium", "large"])],
        autoscaling,
        publicUrl: publicUrl.replace(/\/$/, ""),
        ingress,
        database,
        assistant: { mode: assistantMode, model: text("openrouterModel"), apiKey },
        logLevel: oneOf("logLevel", ["DEBUG", "INFO", "WARNING", "ERROR"]),
        betterAuthSecret,
        quota: {
            requestsCpu: quantity("quotaRequestsCpu", "3"),
            requestsMemory: quantity("quotaRequestsMemory", "6Gi"),
            limitsCpu: quantity("quotaLimitsCpu", "6"),
            limitsMemory: quantity("quotaLimitsMemory", "8Gi"),
        },
    };
    if (problems.length > 0) throw new ConfigError(problems, stack);
    return config;
}

/** Why a PostgreSQL URL is unusable, or undefined when it is fine. Never echoes the URL (it holds a password). */
export function databaseUrlProblem(url: string): string | undefined {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return "is not a URL";
    }
    if (parsed.protocol !== "postgresql:" && parsed.protocol !== "postgres:") return `must start with postgresql://, not ${parsed.protocol}//`;
    if (!parsed.hostname) return "has no host";
    if (!parsed.username) return "has no user name";
    if (parsed.pathname.replace(/^\//, "") === "") return "names no database (…:5432/DB)";
    if (parsed.port && (Number(parsed.port) < 1 || Number(parsed.port) > 65535)) return "has an invalid port";
    return undefined;
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
