// The grammar of what each setting becomes. Each validator returns what is wrong, worded to
// follow the key ("namespace must be ..."), or undefined when the value is fine. None echoes
// the whole value, so they serve secrets too; config.ts adds it for non-secret settings.
// Pure functions of the value: config.ts reads the settings and reports the problems.
import * as crypto from "crypto";

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
    const url = parsedUrl(v);
    if (!url) return "is not a URL";
    if (url.pathname !== "/" || /[?#]/.test(v)) return "must be an origin (scheme, host and optional port) without a path, query or fragment";
    return urlAuthorityProblem(url);
}

function parsedUrl(v: string): URL | undefined {
    try {
        return new URL(v);
    } catch {
        return undefined;
    }
}

/** Why a URL's user information or host is unusable: no credentials, a DNS name or an IP address. */
function urlAuthorityProblem(url: URL): string | undefined {
    if (url.username || url.password) return "must not contain a user name or password";
    const host = url.hostname;
    return IPV4.test(host) || host.startsWith("[") || !hostNameProblem(host) ? undefined : "must have a DNS name or an IP address as its host";
}

/** A Helm chart repository: an http(s) URL (a path is allowed) or an OCI registry path (oci://). */
export function helmRepositoryProblem(v: string): string | undefined {
    if (!/^(https?|oci):\/\//i.test(v)) return "must start with https://, http:// or oci://";
    if (/[\s\\?#]/.test(v)) return "must not contain whitespace, '\\', a query or a fragment";
    const url = parsedUrl(v);
    return url ? urlAuthorityProblem(url) : "is not a URL";
}

/** The origin of a URL that urlOriginProblem accepts: lowercase host, no default port, no slash. */
export function originOf(v: string): string {
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
export function kubernetesSuffix(v: string): string {
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
export function correctedImageRegistry(v: string): string {
    const [host, ...path] = v.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split("@")[0].split("/");
    const cleanPath = path.filter((part) => part !== "").map((part) => part.toLowerCase());
    if (cleanPath.length > 0) cleanPath[cleanPath.length - 1] = cleanPath[cleanPath.length - 1].replace(/:.*$/, "");
    return [host, ...cleanPath].join("/");
}

/** The build's target platform, os/arch[/variant] as Docker names it (linux/amd64, linux/arm64/v8). */
export function platformProblem(v: string): string | undefined {
    return /^[a-z0-9]+\/[a-z0-9_]+(\/v[0-9]+)?$/.test(v) ? undefined : "must be os/arch such as linux/amd64 or linux/arm64";
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

/** A PostgreSQL role name the program can use unquoted: it becomes the user of DATABASE_URL and a role in SQL. */
export function postgresRoleProblem(v: string): string | undefined {
    if (!/^[a-z_][a-z0-9_]*$/.test(v)) return "must be lowercase letters, digits and _, starting with a letter or _ (a PostgreSQL role name that needs no quoting)";
    if (v.length > 63) return "must be at most 63 characters (PostgreSQL's limit for names)";
    return v.startsWith("pg_") ? "must not start with pg_ (reserved for PostgreSQL's own roles)" : undefined;
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
