/**
 * Runs the kit's offline Groq-protocol server as its own process (generating with `tiny`):
 * `deno run -A lib/offline/serve_groq.ts [--port N]`. Prints "listening <url>" once ready and
 * serves until SIGTERM/SIGINT. Not Groq: every response is marked X-Kit-Offline.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startGroqServer } from "./groq_server.ts";
import { localBackend } from "./local_backend.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { port: { type: "string", default: "0" } },
});
const server = await startGroqServer({ backend: await localBackend(), port: Number(values.port) });
console.log(`listening ${server.url}`);
const stop = async () => {
  await server.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
