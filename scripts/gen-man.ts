/** Regenerates man/jabterm.1 from the declarations (npm run man). */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { renderManPage } from "../src/docs/manpage.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
fs.mkdirSync(path.join(root, "man"), { recursive: true });
fs.writeFileSync(path.join(root, "man/jabterm.1"), renderManPage(pkg.version));
process.stdout.write("wrote man/jabterm.1\n");
