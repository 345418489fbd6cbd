/** Test fixture: starts the Ollama stand-in as the demo does, prints {pid, url}, then waits. */
import { spawnOllamaStandIn } from "../../../lib/methods/ollama/standin/process.ts";

const server = await spawnOllamaStandIn();
console.log(JSON.stringify({ pid: server.pid, url: server.url }));
await new Promise(() => {}); // until killed
