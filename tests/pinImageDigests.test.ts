// The transform that pins the chart's pod templates to the digests the pushes returned.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { pinImageDigests } from "../components/todoChatbotChart";
import { resolve } from "./harness";

const DIGEST = `sha256:${"c".repeat(64)}`;
const args = (type: string, props: any) => ({ custom: true, type, name: "x", props, opts: {} });
const podSpec = () => ({
    initContainers: [{ name: "migrate", image: "ghcr.io/acme/todo-chatbot-backend:0123456789abcdef" }],
    containers: [
        { name: "backend", image: "ghcr.io/acme/todo-chatbot-backend:0123456789abcdef" },
        { name: "sidecar", image: "busybox:1.36" },
    ],
});

describe("pinning images by digest", () => {
    const transform = pinImageDigests([pulumi.output(`ghcr.io/acme/todo-chatbot-backend:0123456789abcdef@${DIGEST}`)]);

    it("pins every container and init container of a Deployment that runs a pushed image, and leaves other images alone", async () => {
        const result: any = await transform(args("kubernetes:apps/v1:Deployment", { spec: { template: { spec: podSpec() } } }));
        const spec = result.props.spec.template.spec;
        assert.strictEqual(await resolve(spec.initContainers[0].image), `ghcr.io/acme/todo-chatbot-backend:0123456789abcdef@${DIGEST}`);
        assert.strictEqual(await resolve(spec.containers[0].image), `ghcr.io/acme/todo-chatbot-backend:0123456789abcdef@${DIGEST}`);
        assert.strictEqual(await resolve(spec.containers[1].image), "busybox:1.36");
    });

    it("reaches the pod templates of Jobs and CronJobs too", async () => {
        const cronJob: any = await transform(args("kubernetes:batch/v1:CronJob", { spec: { jobTemplate: { spec: { template: { spec: podSpec() } } } } }));
        assert.match(await resolve(cronJob.props.spec.jobTemplate.spec.template.spec.containers[0].image), /@sha256:c{64}$/);
    });

    it("changes nothing that has no pod template", async () => {
        assert.strictEqual(await transform(args("kubernetes:core/v1:Service", { spec: { ports: [] } })), undefined);
    });

    it("keeps a locally built image on its tag (nothing to pin)", async () => {
        const local = pinImageDigests([pulumi.output("todo-chatbot-backend:0123456789abcdef")]);
        const result: any = await local(args("kubernetes:apps/v1:Deployment", { spec: { template: { spec: { containers: [{ name: "b", image: "todo-chatbot-backend:0123456789abcdef" }] } } } }));
        assert.strictEqual(await resolve(result.props.spec.template.spec.containers[0].image), "todo-chatbot-backend:0123456789abcdef");
    });
});
