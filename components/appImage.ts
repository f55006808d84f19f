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
    /** Docker daemon that builds (and, with a registry, pushes) the image. */
    provider: docker.Provider;
}

/**
 * One app image, built from its Dockerfile. The tag is the content hash of the build
 * context: unchanged source keeps the tag (no rollout), any change gives a new tag and so
 * a rolling update of the pods that use it.
 */
export class AppImage extends pulumi.ComponentResource {
    /** repository:tag, the reference the pods use. */
    public readonly imageRef: pulumi.Output<string>;
    public readonly repository: string;
    public readonly tag: string;
    /** Never: a locally built image must not be looked for in a registry. IfNotPresent: tags are immutable. */
    public readonly pullPolicy: "Never" | "IfNotPresent";

    constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("todo-chatbot:build:AppImage", name, {}, opts);

        const context = path.resolve(args.context);
        this.repository = args.registry ? `${args.registry.server}/todo-chatbot-${args.app}` : `todo-chatbot-${args.app}`;
        this.tag = hashBuildContext(context).slice(0, 16);
        this.pullPolicy = args.registry ? "IfNotPresent" : "Never";

        const image = new docker.Image(
            `${name}-image`,
            {
                imageName: `${this.repository}:${this.tag}`,
                build: {
                    context,
                    dockerfile: path.join(context, "Dockerfile"),
                    builderVersion: "BuilderBuildKit",
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
        this.imageRef = image.imageName;

        this.registerOutputs({ imageRef: this.imageRef });
    }
}
