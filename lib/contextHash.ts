// Content hash of a Docker build context: the files Docker would send (honouring
// .dockerignore), their paths and executable bits, plus anything else that shapes the
// image (Dockerfile path, build args). Used as the image tag, so unchanged source keeps
// the tag (no rebuild, no rollout) and any change gives a new tag (a rolling update).
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import dockerignore from "@balena/dockerignore";

export interface ContextHashOptions {
    /** Dockerfile path relative to the context; Docker always sends it, even when ignored. */
    dockerfile?: string;
    /** Extra inputs of the build (e.g. build args) that must change the hash when they change. */
    extra?: Record<string, string>;
}

export function hashBuildContext(contextDir: string, options: ContextHashOptions = {}): string {
    const root = path.resolve(contextDir);
    if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
        throw new Error(`build context ${root} is not a directory`);
    }
    const dockerfile = toPosix(options.dockerfile ?? "Dockerfile");
    const patterns = readIgnorePatterns(root);
    const ignore = dockerignore().add(patterns);
    const exceptions = patterns.filter((p) => p.startsWith("!")).map((p) => toPosix(p.slice(1)).replace(/^\/+|\/+$/g, ""));

    const files: string[] = [];
    const walk = (relativeDir: string) => {
        for (const entry of fs.readdirSync(path.join(root, relativeDir), { withFileTypes: true })) {
            const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
            const ignored = ignore.ignores(relative) && relative !== dockerfile && relative !== ".dockerignore";
            if (entry.isDirectory()) {
                if (!ignored || exceptions.some((exception) => mayMatchBelow(exception, relative))) walk(relative);
            } else if (!ignored) {
                files.push(relative);
            }
        }
    };
    walk("");
    files.sort();

    const hash = crypto.createHash("sha256");
    for (const relative of files) {
        const absolute = path.join(root, relative);
        const stat = fs.lstatSync(absolute);
        hash.update(`${relative}\0${stat.mode & 0o111 ? "x" : "-"}\0`);
        hash.update(stat.isSymbolicLink() ? `link:${fs.readlinkSync(absolute)}` : fs.readFileSync(absolute));
        hash.update("\0");
    }
    hash.update(`dockerfile:${dockerfile}\0`);
    for (const [key, value] of Object.entries(options.extra ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
        hash.update(`extra:${key}=${value}\0`);
    }
    return hash.digest("hex");
}

/**
 * Whether an exception pattern (a `!pattern` line) could re-include something inside `dir`,
 * so an ignored directory must still be walked. Compares the pattern segment by segment
 * with the directory's path; `**` can match any depth.
 */
function mayMatchBelow(pattern: string, dir: string): boolean {
    const patternSegments = pattern.split("/");
    const dirSegments = dir.split("/");
    for (let i = 0; i < dirSegments.length; i++) {
        const segment = patternSegments[i];
        if (segment === undefined) return false; // the pattern names an ancestor: nothing below is re-included by it
        if (segment === "**") return true;
        if (!segmentPattern(segment).test(dirSegments[i])) return false;
    }
    return true;
}

function segmentPattern(segment: string): RegExp {
    const source = segment.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
    return new RegExp(`^${source}$`);
}

function readIgnorePatterns(root: string): string[] {
    const file = path.join(root, ".dockerignore");
    if (!fs.existsSync(file)) return [];
    return fs
        .readFileSync(file, "utf8")
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("#"));
}

function toPosix(p: string): string {
    return p.split(path.sep).join("/").replace(/^\.\//, "");
}
