import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

// The repository root has its own package-lock.json (the Pulumi program); pin both roots
// to this folder so the standalone output is flat (server.js at its top) and self-contained.
const projectRoot = dirname(fileURLToPath(import.meta.url));

/** @type {import("next").NextConfig} */
const nextConfig = {
  output: "standalone",
  outputFileTracingRoot: projectRoot,
  turbopack: { root: projectRoot },
  // No remote images and no image optimizer: keeps sharp (and its ~19 MB libvips) out of the image.
  images: { unoptimized: true },
  // Packages the server never loads at run time but the tracer would otherwise copy.
  outputFileTracingExcludes: {
    "*": [
      "node_modules/@img/**",
      "node_modules/sharp/**",
      "node_modules/typescript/**",
      "node_modules/@esbuild/**",
      "node_modules/@swc/core*/**",
    ],
  },
  poweredByHeader: false,
};

export default nextConfig;
