import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CHART_NAME, commonLabels } from "../lib/labels";

export interface AppSecretsArgs {
    /** Namespace of the app. */
    namespace: pulumi.Input<string>;
    /** postgresql://… URL of the app's database (secret). */
    databaseUrl: pulumi.Output<string>;
    /** Signs sessions and the backend JWTs; generated (and kept stable) when undefined. */
    betterAuthSecret?: pulumi.Output<string>;
    /** OpenRouter key; undefined runs the assistant in offline mode. */
    openrouterApiKey?: pulumi.Output<string>;
    /** PEM certificate and key for the Ingress, stored in a kubernetes.io/tls Secret. */
    ingressTls?: { cert: pulumi.Output<string>; key: pulumi.Output<string> };
    /** Kubernetes provider of the target cluster. */
    provider: k8s.Provider;
    /** Provider of the generated values (@pulumi/random). */
    randomProvider: random.Provider;
}

/**
 * The app's Secret (the keys of docs/ARCHITECTURE.md), every value from Pulumi config
 * secrets or @pulumi/random. The chart uses it as `existingSecret` instead of making its own.
 * Its name is generated: a changed value replaces the Secret under a new name, which
 * changes the pods' spec and so rolls them onto the new value.
 */
export class AppSecrets extends pulumi.ComponentResource {
    /** Name of the Secret with DATABASE_URL, BETTER_AUTH_SECRET and OPENROUTER_API_KEY. */
    public readonly secretName: pulumi.Output<string>;
    /** Name of the Ingress TLS Secret, when a certificate was given. */
    public readonly tlsSecretName?: pulumi.Output<string>;

    constructor(name: string, args: AppSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("todo-chatbot:app:AppSecrets", name, {}, opts);
        const childOpts = { parent: this, provider: args.provider };
        const labels = { ...commonLabels, "app.kubernetes.io/name": CHART_NAME };

        const betterAuthSecret =
            args.betterAuthSecret ??
            new random.RandomPassword(`${name}-better-auth-secret`, { length: 48, special: false }, { parent: this, provider: args.randomProvider }).result;

        const secret = new k8s.core.v1.Secret(
            name,
            {
                metadata: { namespace: args.namespace, labels },
                type: "Opaque",
                stringData: {
                    DATABASE_URL: args.databaseUrl,
                    BETTER_AUTH_SECRET: betterAuthSecret,
                    OPENROUTER_API_KEY: args.openrouterApiKey ?? "",
                },
            },
            childOpts,
        );
        this.secretName = secret.metadata.name;

        if (args.ingressTls) {
            const tls = new k8s.core.v1.Secret(
                `${name}-ingress-tls`,
                {
                    metadata: { namespace: args.namespace, labels },
                    type: "kubernetes.io/tls",
                    stringData: { "tls.crt": args.ingressTls.cert, "tls.key": args.ingressTls.key },
                },
                childOpts,
            );
            this.tlsSecretName = tls.metadata.name;
        }

        this.registerOutputs({ secretName: this.secretName, tlsSecretName: this.tlsSecretName });
    }
}
