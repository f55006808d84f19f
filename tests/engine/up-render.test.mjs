// `pulumi up` and `pulumi destroy` of the real program with a Kubernetes provider that renders
// to a directory (the test-only setting renderYamlToDirectory): both images really built through
// the docker provider on CI's Docker engine, the manifests checked offline against the API schema
// and by strict server-side dry runs, then the update cycle users live with: no-op, one-app
// change, destroy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import commands from "./commands.json" with { type: "json" };
import { apiRequest, collectionPath, filesContaining, initStack, loopbackApiServer, previewJson, projectCopy, repoRoot, urnParts } from "./support.mjs";

const run = promisify(execFile);
// A rendering provider has no cluster to refresh its objects from; otherwise the flags CI and
// the workflows give `pulumi up`.
const UP_FLAGS = commands.up.filter((flag) => flag !== "--refresh");

function renderedObjects(dir) {
  const files = readdirSync(dir, { recursive: true }).filter((f) => f.endsWith(".yaml")).map((f) => path.join(dir, f));
  return files.flatMap((file) => parseAllDocuments(readFileSync(file, "utf8")).map((doc) => doc.toJSON()).filter(Boolean));
}

const ofKind = (objects, kind) => objects.filter((o) => o.kind === kind);
const byName = (objects, kind, suffix) => {
  const found = ofKind(objects, kind).filter((o) => o.metadata.name.endsWith(suffix));
  assert.equal(found.length, 1, `one ${kind} named *${suffix}, found ${found.map((o) => o.metadata.name).join(", ") || "none"}`);
  return found[0];
};

/** Names of the Secrets a pod spec reads: volumes (plain and projected), env and envFrom. */
function secretReferences(podSpec) {
  const containers = [...podSpec.containers, ...(podSpec.initContainers ?? [])];
  return [
    ...(podSpec.volumes ?? []).flatMap((v) => [v.secret?.secretName, ...(v.projected?.sources ?? []).map((source) => source.secret?.name)]),
    ...containers.flatMap((c) => [...(c.env ?? []).map((e) => e.valueFrom?.secretKeyRef?.name), ...(c.envFrom ?? []).map((e) => e.secretRef?.name)]),
  ].filter(Boolean);
}

async function imageId(ref) {
  const { stdout } = await run("/usr/bin/docker", ["image", "inspect", "--format", "{{.Id}}", ref]);
  return stdout.trim();
}

/** Resource changes of a `pulumi preview --json`: "type::name" for every step that is not `same`. */
function changes(preview) {
  return preview.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${urnParts(s.urn).type}::${urnParts(s.urn).name}`).sort();
}

test("pulumi up renders the stack with both images built, a no-op up changes nothing, one app's change rolls only that app, destroy removes everything", async (t) => {
  const kubeconfig = await loopbackApiServer(t, ["minikube"]);
  const project = await projectCopy(t);
  const renderDir = path.join(project.root, "rendered");
  await initStack(project, "local", { kubeconfig, settings: { renderYamlToDirectory: renderDir } });

  // First up: both images built by the docker provider, every object written.
  await project.pulumi(["up", "--stack", "local", ...UP_FLAGS]);
  const objects = renderedObjects(renderDir);
  const outputs = JSON.parse((await project.pulumi(["stack", "output", "--json", "--stack", "local"])).stdout);

  await t.test("the manifests are valid for the API schema, offline", async () => {
    await run("bash", [path.join(repoRoot, "scripts/validate-k8s-manifests.sh"), "-q", renderDir]);
  });

  await t.test("the API server accepts every object in strict server-side dry runs", async () => {
    const namespace = ofKind(objects, "Namespace")[0];
    assert.equal((await apiRequest(kubeconfig, "POST", "api/v1/namespaces", namespace)).status, 201);
    for (const object of objects.filter((o) => o.kind !== "Namespace")) {
      const { status, body } = await apiRequest(kubeconfig, "POST", `${await collectionPath(kubeconfig, object)}?dryRun=All&fieldValidation=Strict`, object);
      assert.equal(status, 201, `${object.kind} ${object.metadata.name}: ${body.message}`);
    }
  });

  await t.test("the pods run the images this update built, with the stack's replicas and secret references", async () => {
    for (const app of ["frontend", "backend"]) {
      const deployment = byName(objects, "Deployment", `-${app}`);
      const ref = outputs[`${app}Image`];
      assert.match(ref, new RegExp(`^todo-chatbot-${app}:[0-9a-f]{16}$`));
      const containers = [...deployment.spec.template.spec.containers, ...(deployment.spec.template.spec.initContainers ?? [])];
      for (const container of containers) assert.equal(container.image, ref, `${app}/${container.name} runs ${container.image}`);
      assert.ok(await imageId(ref), `the image ${ref} exists in the Docker engine`);
      assert.equal(deployment.spec.replicas, 1, "the local stack's replica count");
      const secretNames = new Set(ofKind(objects, "Secret").map((s) => s.metadata.name));
      const referenced = secretReferences(deployment.spec.template.spec);
      assert.ok(referenced.length > 0, `${app} reads no Secret`);
      for (const name of referenced) assert.ok(secretNames.has(name), `${app} refers to a Secret ${name} that the stack does not create`);
    }
  });

  await t.test("no generated secret appears in plain text in the output or the state", async () => {
    const generated = ofKind(objects, "Secret")
      .flatMap((s) => Object.values(s.data ?? {}).map((v) => Buffer.from(v, "base64").toString()))
      .filter((v) => v.length >= 16);
    assert.ok(generated.length > 0, "the rendered Secrets hold the generated values");
    for (const value of generated) {
      assert.ok(!project.outputs.some((text) => text.includes(value)), "a generated secret appears in the CLI's output");
      assert.deepEqual(filesContaining(project.stateDir, value), [], "a generated secret appears in plain text in the state");
    }
  });

  await t.test("a second up with nothing changed reports no change and builds nothing", async () => {
    const before = await Promise.all(["frontend", "backend"].map((app) => imageId(outputs[`${app}Image`])));
    const preview = previewJson(await project.pulumi(["preview", "--stack", "local", "--json"]));
    assert.deepEqual(changes(preview), []);
    const up = await project.pulumi(["up", "--stack", "local", "--expect-no-changes", ...UP_FLAGS]);
    assert.doesNotMatch(up.stdout, /Building|building image/i);
    assert.deepEqual(await Promise.all(["frontend", "backend"].map((app) => imageId(outputs[`${app}Image`]))), before);
  });

  await t.test("a one-line change in the backend's source changes only the backend image and the backend Deployment", async () => {
    appendFileSync(path.join(project.dir, "app/backend/app/main.py"), "# a one-line change\n");
    const preview = previewJson(await project.pulumi(["preview", "--stack", "local", "--json"]));
    assert.deepEqual(changes(preview), ["update docker:index/image:Image::backend-image", "update kubernetes:apps/v1:Deployment::todo-chatbot:todo-chatbot/todo-chatbot-backend"].sort());
    await project.pulumi(["up", "--stack", "local", ...UP_FLAGS]);
    const backend = byName(renderedObjects(renderDir), "Deployment", "-backend");
    const frontend = byName(renderedObjects(renderDir), "Deployment", "-frontend");
    assert.notEqual(backend.spec.template.spec.containers[0].image, outputs.backendImage);
    assert.equal(frontend.spec.template.spec.containers[0].image, outputs.frontendImage);
  });

  await t.test("destroy leaves the stack with no resources and removes the rendered manifests", async () => {
    await project.pulumi(["destroy", "--stack", "local", "--yes"]);
    const state = JSON.parse((await project.pulumi(["stack", "export", "--stack", "local"])).stdout);
    assert.deepEqual(state.deployment.resources ?? [], []);
    const left = existsSync(renderDir) ? readdirSync(renderDir, { recursive: true }).filter((f) => f.endsWith(".yaml")) : [];
    assert.deepEqual(left, []);
  });
});
