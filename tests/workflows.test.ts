// The GitHub workflows run what CI proves here: the same install command, the Pulumi CLI of
// the lockfile (the version scripts/build-pulumi-toolchain.sh builds), the same preview and up
// flags as the engine tests (tests/engine/commands.json), the production stack.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { REPO_ROOT } from "./harness";

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
const commands: { preview: string[]; up: string[] } = JSON.parse(read("tests/engine/commands.json"));
const packageJson = JSON.parse(read("package.json"));

function steps(workflow: string): any[] {
    const jobs = Object.values<any>(parse(read(`.github/workflows/${workflow}`)).jobs);
    assert.strictEqual(jobs.length, 1, `${workflow} has one job`);
    return jobs[0].steps;
}

/** The pulumi/actions inputs that correspond to CLI flags. */
function flagsOf(inputs: Record<string, unknown>): string[] {
    const flags = [];
    if (inputs.diff === true) flags.push("--diff");
    if (inputs.refresh === true) flags.push("--refresh");
    return flags;
}

for (const [workflow, command] of [["preview.yml", "preview"], ["up.yml", "up"]] as const) {
    describe(`.github/workflows/${workflow}`, () => {
        const workflowSteps = steps(workflow);
        const pulumiStep = workflowSteps.find((s) => typeof s.uses === "string" && s.uses.startsWith("pulumi/actions@"));

        it("installs the program's dependencies exactly as CI does", () => {
            const ciInstall = read(".ci/setup-pulumi.sh").match(/^npm ci .*$/m)![0].replace(/ --loglevel=\S+/, "");
            assert.ok(workflowSteps.some((s) => s.run === ciInstall), `no step runs "${ciInstall}"`);
        });

        it("runs the Node.js major version that package.json's engines names", () => {
            const setupNode = workflowSteps.find((s) => s.uses?.startsWith("actions/setup-node@"));
            assert.strictEqual(String(setupNode.with["node-version"]), packageJson.engines.node.replace(/^>=\s*/, "").split(".")[0]);
        });

        it("uses the Pulumi CLI version of the lockfile's @pulumi/pulumi, as the toolchain CI builds", () => {
            const versions = workflowSteps.find((s) => s.id === "versions");
            assert.match(versions.run, /require\("\.\/package-lock\.json"\)\.packages\["node_modules\/@pulumi\/pulumi"\]\.version/);
            assert.strictEqual(pulumiStep.with["pulumi-version"], "${{ steps.versions.outputs.pulumi }}");
        });

        it(`runs pulumi ${command} on the production stack with the flags the engine tests use`, () => {
            assert.strictEqual(pulumiStep.with.command, command);
            assert.strictEqual(pulumiStep.with["stack-name"], "production");
            const ciFlags = commands[command].filter((flag) => flag !== "--yes"); // the action never prompts
            assert.deepStrictEqual(flagsOf(pulumiStep.with), ciFlags);
        });
    });
}
