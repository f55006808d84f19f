import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { RegistrySettings } from "../config";
import { hashBuildContext } from "../lib/contextHash";

export interface AppImageArgs {
    /** Short name of the app ("frontend", "backend"); the image repository is todo-chatbot-<name>. */
    app: string;
    /** Build context directory; holds the Dockerfile and the .dockerignore that shapes the tag. */
    context: string;
    /** Registry to push to. Undefined: build into the provider's daemon (Minikube's) and push nothing. */
    registry?: RegistrySettings;
    /** Build during `pulumi preview` as well, so a broken Dockerfile fails the preview. */
    buildOnPreview: boolean;
    /** Target platform of the build, os/arch (e.g. linux/amd64; linux/arm64 for Minikube on Apple silicon). */
    platform: string;
    /** Docker daemon that builds (and, with a registry, pushes) the image. */
    provider: docker.Provider;
}

/** The image as the chart's `image` values take it (known during a preview, so the chart renders in full). */
export interface ImageReference {
    repository: string;
    /** Content hash of the build context (see lib/contextHash.ts). */
    tag: string;
    /** Never: a locally built image must not be looked for in a registry. IfNotPresent: tags and digests are immutable. */
    pullPolicy: "Never" | "IfNotPresent";
}

/**
 * One app image, built from its Dockerfile. The tag is the content hash of the build
 * context: unchanged source keeps the tag (no rollout), any change gives a new tag and so
 * a rolling update of the pods that use it. A pushed image is also pinned by the digest the
 * registry returned, so the pods run exactly the bytes this update built.
 */
export class AppImage extends pulumi.ComponentResource {
    /** The reference the pods run: repository:tag, pinned as repository:tag@digest once pushed. */
    public readonly imageRef: pulumi.Output<string>;
    /** repository:tag, split the way the chart's values take it. */
    public readonly reference: pulumi.Output<ImageReference>;

    constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("todo-chatbot:build:AppImage", name, {}, opts);

        const context = path.resolve(args.context);
        const repository = args.registry ? `${args.registry.server}/todo-chatbot-${args.app}` : `todo-chatbot-${args.app}`;
        const tag = hashBuildContext(context).slice(0, 16);
        const pullPolicy: ImageReference["pullPolicy"] = args.registry ? "IfNotPresent" : "Never";

        const image = new docker.Image(
            `${name}-image`,
            {
                imageName: `${repository}:${tag}`,
                build: {
                    context,
                    dockerfile: path.join(context, "Dockerfile"),
                    builderVersion: "BuilderBuildKit",
                    platform: args.platform,
                },
                buildOnPreview: args.buildOnPreview,
                skipPush: !args.registry,
                registry: args.registry && {
                    server: args.registry.server,
                    username: args.registry.username,
                    password: args.registry.password,
                },
            },
            { parent: this, provider: args.provider },
        );

        // Derived from the image's outputs, so whatever uses them waits for the build.
        this.reference = image.imageName.apply((): ImageReference => ({ repository, tag, pullPolicy }));
        this.imageRef = args.registry ? image.repoDigest.apply((repoDigest) => pinnedReference(repository, tag, repoDigest)) : image.imageName;

        this.registerOutputs({ imageRef: this.imageRef });
    }
}

/**
 * repository:tag@digest, with the digest the push returned (repoDigest is repository@sha256:…).
 * Before the first push, in a preview, repoDigest is only the local image ID, not a pullable
 * reference (pulumi-docker-build#260): the preview shows the tag, the update pins the digest.
 */
function pinnedReference(repository: string, tag: string, repoDigest: string): string {
    const digest = repoDigest.includes("@") ? repoDigest.slice(repoDigest.indexOf("@") + 1) : undefined;
    if (digest === undefined && pulumi.runtime.isDryRun()) return `${repository}:${tag}`;
    if (!digest || !/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`the push of ${repository}:${tag} returned no digest reference, but "${repoDigest}"`);
    return `${repository}:${tag}@${digest}`;
}
