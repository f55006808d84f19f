// The image tag is the content hash of the build context: it changes exactly when what
// Docker would build from changes.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import dockerignore from "@balena/dockerignore";
import { AppImage } from "../components/appImage";
import { hashBuildContext } from "../lib/contextHash";
import { plain, resolve } from "./harness";

function makeContext(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "todo-context-"));
    for (const [name, content] of Object.entries(files)) write(dir, name, content);
    return dir;
}

function write(dir: string, name: string, content: string) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
}

const BASE = {
    Dockerfile: "FROM scratch\nCOPY . /app\n",
    ".dockerignore": "node_modules\n*.log\n.env\n",
    "src/main.py": "print('hello')\n",
};

describe("build context hash", () => {
    it("is stable for unchanged content, wherever the context lies", () => {
        assert.strictEqual(hashBuildContext(makeContext(BASE)), hashBuildContext(makeContext(BASE)));
    });

    it("changes when a sent file changes, appears, is renamed or becomes executable", () => {
        const dir = makeContext(BASE);
        const seen = new Set([hashBuildContext(dir)]);
        const expectNew = (what: string) => {
            const h = hashBuildContext(dir);
            assert.ok(!seen.has(h), `hash must change when ${what}`);
            seen.add(h);
        };
        write(dir, "src/main.py", "print('hello, world')\n");
        expectNew("a file's content changes");
        write(dir, "src/util.py", "X = 1\n");
        expectNew("a file is added");
        fs.renameSync(path.join(dir, "src/util.py"), path.join(dir, "src/helpers.py"));
        expectNew("a file is renamed");
        fs.chmodSync(path.join(dir, "src/helpers.py"), 0o755);
        expectNew("a file becomes executable");
        write(dir, "Dockerfile", "FROM scratch\nCOPY src /app\n");
        expectNew("the Dockerfile changes");
    });

    it("ignores what .dockerignore excludes (Docker never sends it)", () => {
        const dir = makeContext(BASE);
        const before = hashBuildContext(dir);
        write(dir, "node_modules/left-pad/index.js", "module.exports = 1;\n");
        write(dir, "debug.log", "noise\n");
        write(dir, ".env", "SECRET=1\n");
        assert.strictEqual(hashBuildContext(dir), before);
    });

    it("honours negated .dockerignore patterns", () => {
        const dir = makeContext({ ...BASE, ".dockerignore": "docs\n!docs/keep.md\n" });
        const before = hashBuildContext(dir);
        write(dir, "docs/other.md", "ignored\n");
        assert.strictEqual(hashBuildContext(dir), before, "an ignored file does not count");
        write(dir, "docs/keep.md", "sent\n");
        assert.notStrictEqual(hashBuildContext(dir), before, "a re-included file counts");
    });

    it("honours an allow-list .dockerignore (`*` then exceptions) without walking ignored trees", () => {
        const dir = makeContext({ ...BASE, ".dockerignore": "*\n!package.json\n!src/\n**/*.test.ts\n" });
        write(dir, "package.json", "{}\n");
        const before = hashBuildContext(dir);
        write(dir, "node_modules/dep/index.js", "1\n");
        write(dir, "README.md", "not sent\n");
        write(dir, "src/app.test.ts", "not sent\n");
        assert.strictEqual(hashBuildContext(dir), before, "files outside the allow-list do not count");
        write(dir, "src/deep/nested/app.ts", "sent\n");
        const walked: string[] = [];
        const nodeFs = require("fs"); // the module object itself: the hashing code reads through it
        const readdirSync = nodeFs.readdirSync;
        nodeFs.readdirSync = (p: fs.PathLike, o: any) => (walked.push(String(p)), readdirSync(p, o));
        try {
            assert.notStrictEqual(hashBuildContext(dir), before, "files inside an allowed directory count, at any depth");
        } finally {
            nodeFs.readdirSync = readdirSync;
        }
        assert.ok(walked.includes(path.join(dir, "src/deep/nested")));
        assert.ok(!walked.some((p) => p.includes("node_modules")), "an ignored tree that no exception reaches is never walked");
    });

    it("counts the Dockerfile even when .dockerignore lists it", () => {
        const dir = makeContext({ ...BASE, ".dockerignore": "Dockerfile\n" });
        const before = hashBuildContext(dir);
        write(dir, "Dockerfile", "FROM scratch\n");
        assert.notStrictEqual(hashBuildContext(dir), before);
    });

    it("fails clearly when the context is missing", () => {
        assert.throws(() => hashBuildContext("/nonexistent/context"), /build context \/nonexistent\/context is not a directory/);
    });
});

describe("AppImage", function () {
    this.timeout(30_000);

    const PUSHED_DIGEST = `sha256:${"ab".repeat(32)}`;

    const LOCAL_IMAGE_ID = `sha256:${"12".repeat(32)}`;

    async function imageNameFor(context: string, registry?: { server: string; username: string; password: pulumi.Output<string> }, preview = false) {
        const images: Record<string, any>[] = [];
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    if (args.type !== "docker:index/image:Image") return { id: `${args.name}-id`, state: args.inputs };
                    images.push(args.inputs);
                    // As the provider reports it: the registry's digest once pushed; before that, in a
                    // preview that builds, only the local image ID.
                    const pushed = !args.inputs.skipPush && !preview;
                    const repoDigest = pushed ? `${args.inputs.imageName.split(":")[0]}@${PUSHED_DIGEST}` : preview ? LOCAL_IMAGE_ID : "";
                    return { id: `${args.name}-id`, state: { ...args.inputs, repoDigest } };
                },
                call: (args) => args.inputs,
            },
            "todo-chatbot",
            "test",
            preview,
        );
        const provider = new docker.Provider("docker", {});
        const image = new AppImage("backend", { app: "backend", context, buildOnPreview: true, platform: "linux/arm64", provider, registry });
        const ref = await resolve(image.imageRef);
        const reference = await resolve(image.reference);
        await pulumi.runtime.disconnect();
        assert.strictEqual(images.length, 1);
        assert.strictEqual(images[0].build.platform, "linux/arm64", "the configured platform reaches the build");
        assert.strictEqual(images[0].imageName, `${reference.repository}:${reference.tag}`, "the component exports the reference it builds");
        return { ref, reference, inputs: images[0], pullPolicy: reference.pullPolicy };
    }

    it("tags the image with the context hash and retags it exactly when the context changes", async () => {
        const dir = makeContext(BASE);
        const first = await imageNameFor(dir);
        assert.strictEqual(first.ref, `todo-chatbot-backend:${hashBuildContext(dir).slice(0, 16)}`);
        assert.strictEqual((await imageNameFor(dir)).ref, first.ref, "unchanged source: same tag, so no rollout");
        write(dir, "debug.log", "ignored\n");
        assert.strictEqual((await imageNameFor(dir)).ref, first.ref, "an ignored file: same tag");
        write(dir, "src/main.py", "print('changed')\n");
        assert.notStrictEqual((await imageNameFor(dir)).ref, first.ref, "changed source: new tag, so a rolling update");
    });

    it("builds locally with pull policy Never, or pushes to a registry and pins the pushed digest with pull policy IfNotPresent", async () => {
        const dir = makeContext(BASE);
        const local = await imageNameFor(dir);
        assert.strictEqual(local.inputs.skipPush, true);
        assert.strictEqual(local.pullPolicy, "Never");
        const pushed = await imageNameFor(dir, { server: "registry.example.com/team", username: "ci", password: pulumi.secret("token") });
        assert.match(pushed.ref, /^registry\.example\.com\/team\/todo-chatbot-backend:[0-9a-f]{16}@sha256:(ab){32}$/, "pods pin the pushed digest");
        assert.ok(pushed.ref.endsWith(`@${PUSHED_DIGEST}`));
        assert.strictEqual(local.ref, `${local.reference.repository}:${local.reference.tag}`, "an unpushed image stays on its content tag");
        assert.strictEqual(pushed.inputs.skipPush, false);
        assert.strictEqual(plain(pushed.inputs.registry).username, "ci");
        assert.strictEqual(plain(pushed.inputs.registry).password, "token");
        assert.strictEqual(pushed.pullPolicy, "IfNotPresent");
    });

    it("shows the tag in a preview, where the image is built but not pushed yet (its repoDigest is only the local image ID)", async () => {
        const dir = makeContext(BASE);
        const previewed = await imageNameFor(dir, { server: "registry.example.com/team", username: "ci", password: pulumi.secret("token") }, true);
        assert.match(previewed.ref, /^registry\.example\.com\/team\/todo-chatbot-backend:[0-9a-f]{16}$/);
    });
});

describe("build contexts and git", () => {
    // A file git ignores differs between checkouts (generated by a local build, a cache, a secret):
    // if it entered a build context, the same commit would get different image tags.
    for (const app of ["frontend", "backend"]) {
        it(`no file that git ignores enters the ${app} build context`, () => {
            const context = path.join(__dirname, "..", "app", app);
            const ignoredByGit = [path.join(__dirname, "..", ".gitignore"), path.join(context, ".gitignore")]
                .filter((file) => fs.existsSync(file))
                .flatMap((file) => fs.readFileSync(file, "utf8").split("\n"))
                .map((line) => line.trim())
                .filter((line) => line && !line.startsWith("#") && !line.startsWith("!"));
            const dockerPatterns = fs.readFileSync(path.join(context, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
            const ignores = dockerignore().add(dockerPatterns);
            // Builds, caches and tools write such files at the context's root.
            for (const pattern of ignoredByGit) {
                const sample = pattern.replace(/^\//, "").replace(/\*\*\//g, "").replace(/\*/g, "x").replace(/\[[^\]]*\]/, "c");
                const file = sample.endsWith("/") ? `${sample}file` : sample;
                assert.ok(ignores.ignores(file), `${app}: "${file}" is ignored by git (${pattern}) but would be sent to Docker`);
            }
        });
    }
});
