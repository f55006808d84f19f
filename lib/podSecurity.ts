// Pod Security `restricted`, as the program's namespaces enforce it and its own pods meet it.

/** Labels that make a namespace enforce (and audit and warn about) Pod Security `restricted`. */
export const restrictedNamespaceLabels: Record<string, string> = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
};

/** The `postgres` user and group of the official PostgreSQL image: own the data without root. */
export const POSTGRES_UID = 999;

/** The pod securityContext of everything that runs the PostgreSQL image (the database, its backups). */
export const postgresPodSecurityContext = {
    runAsNonRoot: true,
    runAsUser: POSTGRES_UID,
    runAsGroup: POSTGRES_UID,
    fsGroup: POSTGRES_UID,
    seccompProfile: { type: "RuntimeDefault" },
};

/** The container securityContext Pod Security `restricted` asks of every container the program runs itself. */
export const restrictedContainerSecurityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
};
