// Writes embed_dist.go (from embed_dist.go.tmpl), which embeds the fresh build
// (web/dist) in the Go binary. It is generated, not committed, because it only
// compiles where dist exists: see embed.go.
import { copyFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
if (!existsSync(join(web, "dist", "index.html"))) {
  console.error("embed-go: web/dist/index.html is missing; run vite build first");
  process.exit(1);
}
copyFileSync(join(web, "scripts", "embed_dist.go.tmpl"), join(web, "embed_dist.go"));
console.log("embed-go: wrote embed_dist.go (web/dist is built into the binary)");
