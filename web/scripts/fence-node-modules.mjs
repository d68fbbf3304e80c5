// Some npm packages ship .go files, and `go build ./...` from the repository root
// would try to compile them. A go.mod makes node_modules a module of its own, which
// the root module's ./... pattern does not enter.
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules");
if (existsSync(dir)) {
  writeFileSync(join(dir, "go.mod"), "module switchboard.invalid/web/node_modules\n");
}
