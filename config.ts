// The program's settings: read once, typed, validated. Every problem is reported at
// `pulumi preview`, before anything is created, with the key and the command that fixes it.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { distance } from "fastest-levenshtein";

export const PROJECT = "todo-chatbot";

/** Non-secret keys, declared with their defaults in Pulumi.yaml. */
export const SETTING_KEYS = [
    "namespace", "kubeconfig", "kubeContext", "dockerHost", "dockerCertPath",
    "imageRegistry", "imageRegistryUsername", "buildOnPreview", "imagePlatform",
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
        // Digits only: Number() would also take " 2", "0x10", "1e1" and "2.0".
        if (v !== "" && (!/^[+-]?\d+$/.test(v) || n < min || n > max)) {
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
    /** Checks a set value by the grammar of what it becomes; the fix offers the corrected value when there is one. */
    const check = (key: SettingKey, v: string | undefined, problemOf: (v: string) => string | undefined, example: string, correct?: (v: string) => string) => {
        const problem = v === undefined || v === "" ? undefined : problemOf(v);
        if (v === undefined || problem === undefined) return;
        const corrected = correct?.(v);
        const suggestion = corrected && corrected !== v && !problemOf(corrected) ? corrected : example;
        problems.push(`${key} "${withoutPassword(v)}" ${problem}. Fix: ${fix(key, suggestion)}`);
    };
    /** The same for a secret, whose value is never echoed. */
    const checkSecret = (key: SecretKey, problemOf: (v: string) => string | undefined, fixText: string): boolean => {
        const v = raw[`${PROJECT}:${key}`];
        const problem = v ? problemOf(v) : undefined;
        if (problem) problems.push(`${key} ${problem}. Fix: ${fixText}`);
        return problem === undefined;
    };
    const quantity = (key: SettingKey, unit: "cpu" | "bytes", example: string): string => {
        const v = text(key);
        check(key, v, (q) => quantityProblem(q, unit), example, kubernetesSuffix);
        return v;
    };
    const lowercase = (v: string) => v.toLowerCase();

    const namespace = text("namespace");
    check("namespace", namespace, namespaceProblem, "todo-chatbot", lowercase);

    // Images: pushed to a registry, or built into the cluster's own Docker daemon.
    // A trailing '/' is dropped: the program appends /todo-chatbot-<app> itself.
    const registryServer = value("imageRegistry")?.replace(/\/+$/, "");
    check("imageRegistry", registryServer, imageRegistryProblem, "ghcr.io/acme", correctedImageRegistry);
    check("imageRegistryUsername", value("imageRegistryUsername"), registryUsernameProblem, "<user>");
    checkSecret("imageRegistryPassword", passwordProblem, fix("imageRegistryPassword", "<token>", true));
    let registry: RegistrySettings | undefined;
    if (registryServer) {
        const username = value("imageRegistryUsername");
        if (!username) problems.push(`imageRegistryUsername is required when imageRegistry is set. Fix: ${fix("imageRegistryUsername", "<user>")}`);
        const password = requireSecret("imageRegistryPassword", "when imageRegistry is set", "<token>");
        if (username && password) registry = { server: registryServer, username, password };
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

    // Checked even while the Ingress is off, so a mistake shows before it is switched on.
    check("ingressHost", value("ingressHost"), hostNameProblem, "todo.example.com", (v) => v.toLowerCase().replace(/\.$/, ""));
    check("ingressClassName", value("ingressClassName"), dnsSubdomainProblem, "nginx", lowercase);
    check("ingressTlsSecretName", value("ingressTlsSecretName"), dnsSubdomainProblem, "todo-chatbot-tls", lowercase);
    const tlsFix = (key: SecretKey, file: string) => `cat ${file} | pulumi config set --secret ${key} --stack ${stack}`;
    const tlsCertValid = checkSecret("ingressTlsCert", pemCertificateProblem, tlsFix("ingressTlsCert", "cert.pem"));
    const tlsKeyValid = checkSecret("ingressTlsKey", pemPrivateKeyProblem, tlsFix("ingressTlsKey", "key.pem"));
    const ingressEnabled = bool("ingressEnabled");
    let ingress: IngressSettings = { enabled: false };
    if (ingressEnabled) {
        const host = value("ingressHost");
        if (!host) problems.push(`ingressHost is required when ingressEnabled is true. Fix: ${fix("ingressHost", "todo.example.com")}`);
        const secretName = value("ingressTlsSecretName");
        const cert = secret("ingressTlsCert");
        const key = secret("ingressTlsKey");
        let tls: { secretName: string } | { cert: pulumi.Output<string>; key: pulumi.Output<string> } | undefined;
        if (secretName) tls = { secretName };
        else if (cert && key) {
            tls = { cert, key };
            const pair = tlsCertValid && tlsKeyValid ? tlsPairProblem(raw[`${PROJECT}:ingressTlsCert`], raw[`${PROJECT}:ingressTlsKey`], host) : undefined;
            if (pair) problems.push(`${pair}. Fix: ${tlsFix("ingressTlsCert", "cert.pem")} and ${tlsFix("ingressTlsKey", "key.pem")} with a matching, current pair`);
        } else if (cert || key) {
            const [missing, file] = cert ? (["ingressTlsKey", "key.pem"] as const) : (["ingressTlsCert", "cert.pem"] as const);
            problems.push(`${missing} is required when ${cert ? "ingressTlsCert" : "ingressTlsKey"} is set. Fix: ${tlsFix(missing, file)}`);
        } else {
            problems.push(
                `an Ingress needs TLS: name an existing TLS Secret or give a certificate. ` +
                    `Fix: ${fix("ingressTlsSecretName", "todo-chatbot-tls")}, or ` +
                    `'cat cert.pem | pulumi config set --secret ingressTlsCert --stack ${stack}' and the same for ingressTlsKey`,
            );
        }
        if (host && tls) ingress = { enabled: true, host, className: text("ingressClassName"), tls };
    }

    const nodePortUrl = `http://localhost:${nodePort}`;
    check("publicUrl", value("publicUrl"), urlOriginProblem, "https://todo.example.com", originOf);
    // The origin as browsers send it (lowercase host, no default port), so CORS and auth match it.
    const publicUrl = originOf(value("publicUrl") ?? (ingress.enabled ? `https://${ingress.host}` : nodePortUrl));

    // The settings of both database modes are checked whichever is chosen, to fail before a switch.
    const storageSize = quantity("databaseStorageSize", "bytes", "1Gi");
    check("databaseStorageClass", value("databaseStorageClass"), dnsSubdomainProblem, "standard", lowercase);
    const postgresImage = text("postgresImage");
    check("postgresImage", postgresImage, imageReferenceProblem, "postgres:15.10-bookworm", lowercase);
    checkSecret("databasePassword", databasePasswordProblem, fix("databasePassword", "\"$(openssl rand -hex 24)\"", true));
    checkSecret("databaseUrl", databaseUrlProblem, fix("databaseUrl", "'postgresql://USER:PASSWORD@HOST:5432/DB'", true));
    const databaseMode = oneOf<"in-cluster" | "external">("database", ["in-cluster", "external"]);
    let database: DatabaseSettings;
    if (databaseMode === "external") {
        const url = requireSecret("databaseUrl", 'when database is "external"', "'postgresql://USER:PASSWORD@HOST:5432/DB'");
        database = { mode: "external", url: url ?? pulumi.secret("") };
    } else {
        database = {
            mode: "in-cluster",
            storageSize,
            storageClass: value("databaseStorageClass"),
            image: postgresImage,
            password: secret("databasePassword"),
        };
    }

    const assistantMode = oneOf<"online" | "offline">("assistantMode", ["online", "offline"]);
    const apiKey =
        assistantMode === "online"
            ? requireSecret("openrouterApiKey", 'when assistantMode is "online"', "<openrouter-key>")
            : secret("openrouterApiKey");
    checkSecret("openrouterApiKey", headerTokenProblem, fix("openrouterApiKey", "<openrouter-key>", true));
    const model = text("openrouterModel");
    check("openrouterModel", model, openrouterModelProblem, "openai/gpt-4o-mini");

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
    } else if (kubeconfig && !renderYamlToDirectory && !fs.statSync(kubeconfig).isFile()) {
        problems.push(`kubeconfig ${kubeconfig} is not a file. Fix: ${fix("kubeconfig", "/path/to/kubeconfig")}`);
    }
    if (renderYamlToDirectory && fs.existsSync(renderYamlToDirectory) && !fs.statSync(renderYamlToDirectory).isDirectory()) {
        problems.push(`renderYamlToDirectory ${renderYamlToDirectory} is not a directory. Fix: ${fix("renderYamlToDirectory", "/path/to/directory")}`);
    }
    const kubeContext = text("kubeContext");
    check("kubeContext", kubeContext, kubeContextProblem, "minikube", (v) => v.trim());
    // Minikube's daemon is reached the way `minikube docker-env` says; the docker provider
    // does not reliably pick those variables up itself, so they are passed to it explicitly.
    check("dockerHost", value("dockerHost"), dockerHostProblem, "unix:///var/run/docker.sock");
    const dockerHost = value("dockerHost") ?? env.DOCKER_HOST;
    const configuredCertPath = value("dockerCertPath");
    check("dockerCertPath", configuredCertPath && expandHome(configuredCertPath), dockerCertPathProblem, "/path/to/certs");
    const dockerCertPath = configuredCertPath ?? (env.DOCKER_TLS_VERIFY ? env.DOCKER_CERT_PATH : undefined);

    const config: StackConfig = {
        stack,
        namespace,
        kubernetes: { kubeconfig, context: kubeContext, renderYamlToDirectory },
        docker: { host: dockerHost, certPath: dockerCertPath && expandHome(dockerCertPath) },
        images: { registry, buildOnPreview: bool("buildOnPreview"), platform: imagePlatform(text("imagePlatform"), problems, fix) },
        frontend: { replicas: frontendReplicas, serviceType, nodePort },
        backend: { replicas: backendReplicas },
        resources: RESOURCE_PROFILES[oneOf<ResourceProfile>("resourceProfile", ["small", "medium", "large"])],
        autoscaling,
        publicUrl,
        ingress,
        database,
        assistant: { mode: assistantMode, model, apiKey },
        logLevel: oneOf("logLevel", ["DEBUG", "INFO", "WARNING", "ERROR"]),
        betterAuthSecret,
        quota: {
            requestsCpu: quantity("quotaRequestsCpu", "cpu", "3"),
            requestsMemory: quantity("quotaRequestsMemory", "bytes", "6Gi"),
            limitsCpu: quantity("quotaLimitsCpu", "cpu", "6"),
            limitsMemory: quantity("quotaLimitsMemory", "bytes", "8Gi"),
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

// The grammar of what each setting becomes. Each validator returns what is wrong, worded to
// follow the key ("namespace must be ..."), or undefined when the value is fine. None echoes
// the whole value, so they serve secrets too; parseConfig adds it for non-secret settings.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** An RFC 1123 label, as Kubernetes names a namespace. */
export function dnsLabelProblem(v: string): string | undefined {
    if (v.length > 63) return `must be at most 63 characters (it has ${v.length})`;
    if (!DNS_LABEL.test(v)) return "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit";
    return undefined;
}

/** An RFC 1123 subdomain, as Kubernetes names Secrets, IngressClasses and StorageClasses. */
export function dnsSubdomainProblem(v: string): string | undefined {
    // Kubernetes (IsDNS1123Subdomain) bounds the whole name only, not each label.
    if (v.length > 253) return `must be at most 253 characters (it has ${v.length})`;
    if (!v.split(".").every((label) => DNS_LABEL.test(label))) {
        return "must be a Kubernetes object name: lowercase letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit";
    }
    return undefined;
}

/** Namespaces the cluster itself runs in; `kube-` names are reserved for more of them. */
const CLUSTER_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** The app's own namespace: a DNS label that is none of the cluster's. */
export function namespaceProblem(v: string): string | undefined {
    const label = dnsLabelProblem(v);
    if (label) return label;
    if (CLUSTER_NAMESPACES.includes(v) || v.startsWith("kube-")) {
        // The provider upserts an existing namespace, so the program would take it over.
        return (
            `must not be ${CLUSTER_NAMESPACES.includes(v) ? "one of the cluster's own namespaces" : "a kube- name (reserved for the cluster's own namespaces)"}: ` +
            `the program labels its namespace Pod Security "restricted", denies all its traffic by default, caps it with a ResourceQuota ` +
            "and deletes it on `pulumi destroy`, which would break the cluster's own workloads there"
        );
    }
    return undefined;
}

/**
 * A host name the Ingress serves and browsers open: lowercase RFC 1123, each label at most 63
 * characters. Not a wildcard: the same name is the app's URL, which must be one host.
 */
export function hostNameProblem(v: string): string | undefined {
    if (v.startsWith("*")) return "must be one host name, not a wildcard: it is also the address of the app (publicUrl) and the name on its certificate";
    if (IPV4.test(v) || v.includes(":")) return "must be a DNS name, not an IP address (Kubernetes rejects an IP address as an Ingress host)";
    if (v !== v.toLowerCase()) return "must be lowercase (Kubernetes rejects uppercase letters in an Ingress host)";
    if (v.length > 253 || !v.split(".").every((label) => label.length <= 63 && DNS_LABEL.test(label))) {
        return "must be a DNS name such as todo.example.com: dot-separated parts of lowercase letters, digits and '-' (at most 63 each, 253 in all), without a trailing dot";
    }
    return undefined;
}

/**
 * An origin a browser opens (publicUrl becomes BETTER_AUTH_URL and the backend's allowed CORS
 * origin, both compared with the browser's Origin header): http(s), a host and an optional
 * port, nothing else. The WHATWG parser is the one browsers use; the checks around it reject
 * what it would silently repair or drop.
 */
export function urlOriginProblem(v: string): string | undefined {
    if (!/^https?:\/\//i.test(v)) return "must start with http:// or https://";
    if (/[\s\\]/.test(v)) return "must not contain whitespace or '\\'";
    const port = /^[a-z]+:\/\/[^/?#]*:(\d*)(?:[/?#]|$)/i.exec(v)?.[1];
    if (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535)) return "must have a port from 1 to 65535 (or none)";
    let url: URL;
    try {
        url = new URL(v);
    } catch {
        return "is not a URL";
    }
    if (url.username || url.password) return "must not contain a user name or password";
    if (url.pathname !== "/" || /[?#]/.test(v)) return "must be an origin (scheme, host and optional port) without a path, query or fragment";
    const host = url.hostname;
    if (!IPV4.test(host) && !host.startsWith("[") && hostNameProblem(host)) return "must have a DNS name or an IP address as its host";
    return undefined;
}

/** The origin of a URL that urlOriginProblem accepts: lowercase host, no default port, no slash. */
function originOf(v: string): string {
    try {
        return new URL(v).origin;
    } catch {
        return v;
    }
}

// Kubernetes' quantity grammar (apimachinery, api/resource/quantity.go): a signed decimal, then
// a binary suffix (Ki to Ei), a decimal one (n, u, m, k, M to E) or an exponent (e3, E-2).
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|([numkMGTPE])|([KMGTPE])i)?$/;
const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** A Kubernetes quantity of CPU or of bytes that must be more than nothing (a quota or a volume). */
export function quantityProblem(v: string, unit: "cpu" | "bytes"): string | undefined {
    const m = QUANTITY.exec(v);
    if (!m) {
        if (/^[\d.]+\s*[kKMGTPE]i?[bB]$/.test(v)) return "must use a Kubernetes suffix, without 'B': Ki, Mi, Gi (powers of 1024) or k, M, G (powers of 1000)";
        return unit === "cpu"
            ? "must be a Kubernetes quantity of CPU: a number of CPUs, or thousandths with m (2, 1.5, 500m)"
            : "must be a Kubernetes quantity of bytes: a number with a suffix Ki, Mi, Gi, Ti or k, M, G, T (512Mi, 1.5Gi)";
    }
    const [, sign, number, exponent, decimal, binary] = m;
    if (sign === "-") return "must be positive";
    const scale = exponent ? Number(exponent.slice(1)) : decimal ? DECIMAL_EXPONENT[decimal] : 0;
    const amount = Number(number) * 10 ** scale * (binary ? 1024 ** ("KMGTPE".indexOf(binary) + 1) : 1);
    if (amount === 0) return "must be more than 0";
    if (!Number.isFinite(amount)) return "is too large";
    // Valid, but a memory or disk size in thousandths of a byte is M or Mi mistyped as m.
    if (unit === "bytes" && ((decimal && "num".includes(decimal)) || amount < 1)) return "is less than a byte per unit ('m' means thousandths, not mega): write Mi or M";
    return undefined;
}

/** A size as it was probably meant: 1GB or 500MB as 1Gi or 500Mi, 512m (milli) as 512Mi. */
function kubernetesSuffix(v: string): string {
    return v.replace(/\s*([kKMGTPE])i?[bB]$/, (_, prefix: string) => `${prefix.toUpperCase()}i`).replace(/^(\d+)m$/, "$1Mi");
}

// The distribution/reference grammar (github.com/distribution/reference, regexp.go), which
// Docker, containerd and so the kubelet parse image references with. The registry host may
// have uppercase letters (host names are case-insensitive); the repository path may not.
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const REGISTRY_HOST = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::([0-9]+))?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const IMAGE_TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):([0-9a-fA-F]{32,})$/;
/** The digest algorithms Docker knows (go-digest) and the exact lowercase hex length of each. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const REPOSITORY_MAX_LENGTH = 255;
/** The longest repository name the program appends to imageRegistry. */
const LONGEST_APP_REPOSITORY = "/todo-chatbot-frontend";

/** Whether Docker reads the first component of a name as a registry host (reference/normalize.go). */
function isRegistryHost(component: string): boolean {
    return /[.:]/.test(component) || component === "localhost" || component !== component.toLowerCase();
}

function schemeProblem(v: string): string | undefined {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v);
    return scheme ? `must not start with ${scheme[1]}:// (an image reference has no scheme: it starts with the registry host)` : undefined;
}

/** A repository name: [host[:port]/]path, as in ghcr.io/acme/todo or postgres. */
function repositoryNameProblem(name: string): string | undefined {
    if (name.length > REPOSITORY_MAX_LENGTH) return `makes a repository name of ${name.length} characters; Docker allows ${REPOSITORY_MAX_LENGTH}`;
    const parts = name.split("/");
    if (parts.some((part) => part === "")) return "has an empty path component ('//', or a '/' at the start or end)";
    const hasHost = parts.length > 1 && isRegistryHost(parts[0]);
    // Docker takes "Acme/x" for host Acme; a one-label host name in capitals is a path component mistyped.
    if (hasHost && !/[.:]/.test(parts[0]) && parts[0] !== "localhost") {
        return `has uppercase letters in "${parts[0]}", which Docker would take for a registry host: a repository path is lowercase`;
    }
    if (hasHost) {
        const port = REGISTRY_HOST.exec(parts[0]);
        if (!port) return `has an invalid registry host "${parts[0]}" (letters, digits, '-' and '.', then an optional :port)`;
        if (port[1] !== undefined && !(Number(port[1]) >= 1 && Number(port[1]) <= 65535)) return `has an invalid port in "${parts[0]}" (1-65535)`;
    }
    for (const part of hasHost ? parts.slice(1) : parts) {
        if (part !== part.toLowerCase()) return `has uppercase letters in the repository path ("${part}"): only the registry host may have them`;
        if (!PATH_COMPONENT.test(part)) return `has an invalid path component "${part}" (lowercase letters and digits, separated by '.', '_', '__' or '-')`;
    }
    return undefined;
}

function digestProblem(digest: string): string | undefined {
    const m = DIGEST.exec(digest);
    if (!m) return "has an invalid digest (it is @sha256: and 64 hex digits)";
    const length = DIGEST_HEX_LENGTH[m[1]];
    if (length === undefined) return `has a digest of an algorithm Docker does not know ("${m[1]}"; sha256, sha384 or sha512)`;
    if (!new RegExp(`^[a-f0-9]{${length}}$`).test(m[2])) return `has a ${m[1]} digest that is not ${length} lowercase hex digits`;
    return undefined;
}

/** A full image reference, name[:tag][@digest], as the kubelet pulls it (postgres:15, ghcr.io/acme/db@sha256:...). */
export function imageReferenceProblem(v: string): string | undefined {
    if (/\s/.test(v)) return "must not contain whitespace";
    const scheme = schemeProblem(v);
    if (scheme) return scheme;
    let name = v;
    const at = name.indexOf("@");
    if (at >= 0) {
        const digest = digestProblem(name.slice(at + 1));
        if (digest) return digest;
        name = name.slice(0, at);
    }
    const colon = name.lastIndexOf(":");
    if (colon > name.lastIndexOf("/")) {
        const tag = name.slice(colon + 1);
        if (!IMAGE_TAG.test(tag)) return `has an invalid tag ":${tag}" (letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-')`;
        name = name.slice(0, colon);
    }
    if (name === "") return "names no repository";
    return repositoryNameProblem(name);
}

/**
 * Where the images are pushed: a registry host[:port] and optional path, to which the program
 * appends /todo-chatbot-<app>:<tag>. So no scheme, tag or digest, and the host must be one
 * Docker recognises as such; it is also the server the program logs in to.
 */
export function imageRegistryProblem(v: string): string | undefined {
    if (/\s/.test(v)) return "must not contain whitespace";
    const scheme = schemeProblem(v);
    if (scheme) return scheme;
    if (v.includes("@")) return "must not have a digest (@...): it names where to push, and the program pins each pushed image by digest itself";
    const parts = v.split("/");
    if (parts.length > 1 && parts[parts.length - 1].includes(":")) return "must not have a tag (:...): the program tags each image by its build context";
    const repository = repositoryNameProblem(`${v}${LONGEST_APP_REPOSITORY}`);
    if (repository) return repository;
    if (!isRegistryHost(parts[0])) {
        return (
            `must start with the registry's host (ghcr.io/acme; docker.io/acme for Docker Hub): Docker would read "${parts[0]}" as a Docker Hub account ` +
            `and push there, while the program logs in to a host named "${parts[0]}"`
        );
    }
    return undefined;
}

/** imageRegistry without what it must not have: a scheme, tag, digest, empty or uppercase path parts. */
function correctedImageRegistry(v: string): string {
    const [host, ...path] = v.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split("@")[0].split("/");
    const cleanPath = path.filter((part) => part !== "").map((part) => part.toLowerCase());
    if (cleanPath.length > 0) cleanPath[cleanPath.length - 1] = cleanPath[cleanPath.length - 1].replace(/:.*$/, "");
    return [host, ...cleanPath].join("/");
}

/** A Docker daemon address, in the forms the Docker client takes (DOCKER_HOST). */
export function dockerHostProblem(v: string): string | undefined {
    const forms = "unix:///var/run/docker.sock, tcp://HOST:2376, ssh://USER@HOST or npipe:////./pipe/docker_engine";
    const m = /^(unix|tcp|ssh|npipe):\/\/(.*)$/.exec(v);
    if (!m || /\s/.test(v)) return `must be a Docker host URL: ${forms}`;
    const [, scheme, rest] = m;
    if (scheme === "unix") return /^\/[^?#]+$/.test(rest) ? undefined : "must name a socket by its absolute path: unix:///path/to/docker.sock";
    if (scheme === "npipe") return /^\/\/[^/]+\/pipe\/[^/]+$/.test(rest) ? undefined : "must name a pipe: npipe:////./pipe/docker_engine";
    let url: URL;
    try {
        url = new URL(v);
    } catch {
        return `must be a Docker host URL (a host and a port from 1 to 65535): ${forms}`;
    }
    if (!url.hostname) return `names no host: ${forms}`;
    if (/[?#]/.test(v)) return "must not have a query or fragment";
    if (scheme === "tcp" && (url.username || url.pathname.replace(/^\/$/, ""))) return "must be tcp://HOST[:PORT], without a user name or path";
    if (scheme === "ssh" && url.password) return "must not hold a password (Docker connects over ssh with keys)";
    return undefined;
}

/** OpenRouter's model ids: vendor/model, optionally with a variant (openai/gpt-4o-mini, meta-llama/llama-3.1-8b-instruct:free). */
export function openrouterModelProblem(v: string): string | undefined {
    return /^[^\s/]+(\/[^\s/]+)+$/.test(v) ? undefined : "must be an OpenRouter model id, vendor/model (openai/gpt-4o-mini), without spaces or empty parts";
}

/** The user of HTTP basic authentication (docker login). */
export function registryUsernameProblem(v: string): string | undefined {
    return /^[^\s:]+$/.test(v) ? undefined : "must not contain whitespace or ':' (it is the user name of HTTP basic authentication)";
}

/** A kubeconfig context, looked up by exact name. */
export function kubeContextProblem(v: string): string | undefined {
    return v.trim() === v ? undefined : "must not start or end with whitespace (the context is looked up by its exact name)";
}

/** A directory of Docker TLS client files, as DOCKER_CERT_PATH names it. */
export function dockerCertPathProblem(dir: string): string | undefined {
    if (!fs.existsSync(dir)) return "does not exist";
    if (!fs.statSync(dir).isDirectory()) return "is not a directory";
    const missing = ["ca.pem", "cert.pem", "key.pem"].filter((file) => !fs.existsSync(path.join(dir, file)));
    return missing.length > 0 ? `has no ${missing.join(", ")} (a TLS Docker daemon needs all three)` : undefined;
}

/** A secret sent as an HTTP header (the OpenRouter API key): one token, no whitespace. */
export function headerTokenProblem(v: string): string | undefined {
    return /\s/.test(v) ? "must not contain whitespace or line breaks (it is sent in an HTTP header; a value piped from a file may end with a newline)" : undefined;
}

/** A password: anything printable, but not a control character such as a trailing newline. */
export function passwordProblem(v: string): string | undefined {
    return /[\x00-\x1f\x7f]/.test(v) ? "must not contain line breaks or other control characters (a value piped from a file may end with a newline)" : undefined;
}

/** The in-cluster database password, which the program puts into DATABASE_URL as it is. */
export function databasePasswordProblem(v: string): string | undefined {
    return /^[A-Za-z0-9._~-]+$/.test(v) ? undefined : "may hold only letters, digits and - . _ ~ (it goes into the database URL unescaped)";
}

const PEM_LABEL = /-----BEGIN ([A-Z0-9 ]+)-----/g;
const PRIVATE_KEY_LABELS = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];

/** The complete BEGIN/END blocks with this label (RFC 7468 allows explanatory text between them). */
function pemBlocks(pem: string, label: string): string[] {
    return pem.match(new RegExp(`-----BEGIN ${label}-----[A-Za-z0-9+/=\\s]+-----END ${label}-----`, "g")) ?? [];
}

/** ingressTlsCert: the server certificate and its chain, PEM CERTIFICATE blocks only. Never echoes the value. */
export function pemCertificateProblem(pem: string): string | undefined {
    const labels = [...pem.matchAll(PEM_LABEL)].map((m) => m[1]);
    if (labels.length === 0) return 'is not PEM: it must hold "-----BEGIN CERTIFICATE-----" blocks';
    if (labels.some((label) => label.endsWith("PRIVATE KEY"))) return "holds a private key: that belongs in ingressTlsKey, and this takes the certificate (chain)";
    const other = labels.find((label) => label !== "CERTIFICATE");
    if (other) return `holds a ${other} block; it takes only CERTIFICATE blocks (the server's first, then its chain)`;
    const blocks = pemBlocks(pem, "CERTIFICATE");
    if (blocks.length !== labels.length) return "has an incomplete CERTIFICATE block (base64 between a BEGIN and an END line)";
    for (const block of blocks) {
        try {
            new crypto.X509Certificate(block);
        } catch {
            return "has a CERTIFICATE block that is not an X.509 certificate";
        }
    }
    return undefined;
}

/** ingressTlsKey: one unencrypted PEM private key (PKCS#8, PKCS#1 or SEC 1). Never echoes the value. */
export function pemPrivateKeyProblem(pem: string): string | undefined {
    const labels = [...pem.matchAll(PEM_LABEL)].map((m) => m[1]);
    if (labels.length === 0) return 'is not PEM: it must hold a "-----BEGIN PRIVATE KEY-----" block';
    if (labels.includes("CERTIFICATE")) return "holds a certificate: that belongs in ingressTlsCert, and this takes the private key";
    if (labels.length !== 1) return "must hold exactly one private key";
    if (labels[0] === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,ENCRYPTED/.test(pem)) {
        return "is encrypted, and the Ingress controller cannot decrypt it (openssl pkey -in key.pem -out key-plain.pem)";
    }
    if (!PRIVATE_KEY_LABELS.includes(labels[0])) return `holds a ${labels[0]} block, not a private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)`;
    if (pemBlocks(pem, labels[0]).length !== 1) return `has an incomplete ${labels[0]} block (base64 between a BEGIN and an END line)`;
    try {
        crypto.createPrivateKey(pem);
    } catch {
        return "is not a valid private key";
    }
    return undefined;
}

/** Whether a valid certificate and key make a pair the Ingress can serve for host. Names the keys; never echoes the values. */
export function tlsPairProblem(certPem: string, keyPem: string, host: string | undefined, now = new Date()): string | undefined {
    const cert = new crypto.X509Certificate(pemBlocks(certPem, "CERTIFICATE")[0]);
    if (!cert.checkPrivateKey(crypto.createPrivateKey(keyPem))) return "ingressTlsKey is not the private key of the certificate in ingressTlsCert";
    if (new Date(cert.validTo) < now) return `ingressTlsCert expired on ${cert.validTo}`;
    if (host && !cert.checkHost(host)) return `ingressTlsCert is not valid for ingressHost ${host}, so browsers would refuse it`;
    return undefined;
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

/** The build's target platform, os/arch[/variant] as Docker names it (linux/amd64, linux/arm64/v8). */
function imagePlatform(platform: string, problems: string[], fix: (key: string, example: string) => string): string {
    if (platform && !/^[a-z0-9]+\/[a-z0-9_]+(\/v[0-9]+)?$/.test(platform)) {
        problems.push(`imagePlatform must be os/arch such as linux/amd64 or linux/arm64, got "${platform}". Fix: ${fix("imagePlatform", "linux/amd64")}`);
    }
    return platform;
}
