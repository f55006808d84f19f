// The values the program hands to the chart must pass the chart's own values.schema.json
// and render objects that are valid for the Kubernetes API: checked with the real helm
// binary (built by .ci/setup-chart.sh) and the project's offline schema validator.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments, stringify } from "yaml";
import { plain, PRODUCTION_SECRETS, REPO_ROOT, runProgram } from "./harness";

const CHART = path.join(REPO_ROOT, "charts", "todo-chatbot");

function run(command: string, args: string[]) {
    const result = spawnSync(command, args, { encoding: "utf8" });
    if (result.error) throw new Error(`${command} could not run (${result.error.message}); install it with .ci/setup-chart.sh`);
    return result;
}

async function renderWithProgramValues(stack: string, overrides: Record<string, string> = {}) {
    const program = await runProgram(stack, overrides);
    const chart = program.one("kubernetes:helm.sh/v4:Chart", "todo-chatbot");
    const values = plain(chart.inputs.values);
    const valuesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "todo-values-")), "values.yaml");
    fs.writeFileSync(valuesFile, stringify(values));
    const rendered = run("helm", ["template", plain(chart.inputs.name), CHART, "--namespace", plain(chart.inputs.namespace), "--values", valuesFile]);
    assert.strictEqual(rendered.status, 0, `helm rejected the program's values for ${stack}:\n${rendered.stderr}`);
    const objects = parseAllDocuments(rendered.stdout).map((d) => d.toJS()).filter(Boolean);
    return { values, valuesFile, manifest: rendered.stdout, objects };
}

/** The Prometheus Operator's CRDs (scripts/prometheus-operator-crds.sh fetches them through the Go proxy). */
function operatorCrds(): string {
    const result = run(path.join(REPO_ROOT, "scripts", "prometheus-operator-crds.sh"), []);
    assert.strictEqual(result.status, 0, result.stderr);
    return result.stdout.trim();
}

const find = (objects: any[], kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    assert.ok(found, `no ${kind} ${name} in the render (have: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")})`);
    return found;
};

describe("the chart accepts the program's values", function () {
    this.timeout(120_000);

    for (const stack of ["local", "production"]) {
        it(`renders valid Kubernetes objects with the ${stack} stack's values`, async () => {
            const { values, manifest, objects } = await renderWithProgramValues(stack, stack === "production" ? PRODUCTION_SECRETS : {});

            assert.ok(!objects.some((o) => o.kind === "Secret"), "with existingSecret the chart creates no Secret");
            assert.ok(!objects.some((o) => o.kind === "NetworkPolicy"), "the program owns the NetworkPolicies");
            for (const app of ["frontend", "backend"]) {
                const deployment = find(objects, "Deployment", `todo-chatbot-${app}`);
                const pod = deployment.spec.template.spec;
                const container = pod.containers.find((c: any) => c.name === app) ?? pod.containers[0];
                const { repository, tag, digest } = values[app].image;
                // A pushed image is pinned by its digest (the chart's repository:tag@digest), a local one by its tag.
                assert.strictEqual(container.image, digest ? `${repository}:${tag}@${digest}` : `${repository}:${tag}`);
                assert.strictEqual(container.imagePullPolicy, values[app].image.pullPolicy);
                // The secrets arrive as files of a read-only volume, never as environment variables.
                const allContainers = [...pod.containers, ...(pod.initContainers ?? [])];
                assert.deepStrictEqual(allContainers.flatMap((c: any) => (c.env ?? []).filter((e: any) => e.valueFrom?.secretKeyRef)), []);
                const secretRefs = (pod.volumes ?? []).flatMap((v: any) => (v.projected?.sources ?? []).map((s: any) => s.secret?.name).filter(Boolean));
                assert.ok(secretRefs.length > 0, `${app} reads its secrets from a Secret`);
                assert.deepStrictEqual([...new Set(secretRefs)], [values.existingSecret], `${app} reads only the program's Secret`);
                if (!values[app].autoscaling.enabled) assert.strictEqual(deployment.spec.replicas, values[app].replicaCount);
                assert.strictEqual(objects.some((o) => o.kind === "PodDisruptionBudget" && o.metadata.name === `todo-chatbot-${app}`), values[app].podDisruptionBudget.enabled);
                assert.strictEqual(objects.some((o) => o.kind === "HorizontalPodAutoscaler" && o.metadata.name === `todo-chatbot-${app}`), values[app].autoscaling.enabled);
            }
            const service = find(objects, "Service", "todo-chatbot-frontend");
            assert.strictEqual(service.spec.type, values.frontend.service.type);
            if (stack === "local") assert.strictEqual(service.spec.ports[0].nodePort, 30000);
            assert.strictEqual(objects.some((o) => o.kind === "Ingress"), stack === "production");

            // The monitoring objects (production) are checked against the Prometheus Operator's own CRDs.
            const crdArgs = ["servicemonitors", "prometheusrules"].flatMap((plural) => ["--crd", path.join(operatorCrds(), `monitoring.coreos.com_${plural}.yaml`)]);
            assert.strictEqual(objects.some((o) => o.kind === "PrometheusRule"), stack === "production", "the alerts follow the stack's monitoring setting");
            const validated = spawnSync(path.join(REPO_ROOT, "scripts", "validate-k8s-manifests.sh"), [...crdArgs, "-"], { input: manifest, encoding: "utf8" });
            assert.strictEqual(validated.status, 0, `rendered objects are not valid Kubernetes objects:\n${validated.stdout}${validated.stderr}`);
        });
    }
});
