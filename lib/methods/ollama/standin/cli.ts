/**
 * The program behind scripts/offline/ollama, the kit's stand-in for the `ollama` executable
 * where the real one cannot be installed: `ollama serve | pull | list | ps | stop | --version`.
 * `serve` runs the offline Ollama-protocol server in the foreground (as `nohup ollama serve &`
 * expects); the other commands are clients of whatever server answers at OLLAMA_HOST.
 * Everything it prints says it is the kit's offline stand-in.
 *
 * The shim passes the program name first, busybox-style (`… ollama_cli.ts ollama serve`), so the
 * process's command line contains "ollama serve" and `pkill -f "ollama serve"` finds it as it
 * finds the real one.
 *
 * @module
 */
import {
  exitWhenStdinCloses,
  kitConfig,
  OLLAMA_DEFAULT_HOST,
  parseOllamaHost,
} from "../../../core/mod.ts";
import { PRESETS } from "../../../forge/mod.ts";
import type { WireProgress, WirePsModel, WireTagModel } from "../wire.ts";
import { readNdjson } from "../wire.ts";
import { OFFLINE_VERSION, startOllamaServer } from "./server.ts";
import { ggufModel, standInEngine } from "./gguf_model.ts";

/**
 * The models `ollama serve` offers: the forge's presets as GGUF files for llama.cpp — `tiny`
 * in F32 (its greedy text is the corpus's bigram chain only while its lm_head keeps full
 * precision: the winning logit leads by 1e-3) and `kit-es` in Q4_0, Ollama's default
 * quantization.
 */
export function standInModels() {
  const models = [ggufModel({ preset: "tiny", variant: "f32" })];
  if ("kit-es" in PRESETS) models.push(ggufModel({ preset: "kit-es", variant: "q4_0" }));
  return models;
}

const USAGE = `Uso: ollama <orden> [argumentos]   (sustituto offline del kit, no es Ollama)

Órdenes:
  serve            Arranca el servidor local con el protocolo de Ollama (en primer plano)
  pull MODELO      Descarga un modelo (aquí: la forja del kit fabrica su GGUF; p. ej. «tiny»)
  list             Lista los modelos descargados
  ps               Lista los modelos cargados en memoria
  stop MODELO      Descarga un modelo de la memoria
  --version        Muestra la versión

La dirección se lee de OLLAMA_HOST (por defecto ${OLLAMA_DEFAULT_HOST}).`;

/**
 * Where `ollama serve` listens, from OLLAMA_HOST as Ollama reads it: "host:port", scheme and
 * port optional (default 127.0.0.1:11434); "0.0.0.0" listens on every interface.
 *
 * @example
 * ```ts
 * listenAddress("0.0.0.0:11500"); // { hostname: "0.0.0.0", port: 11500 }
 * ```
 */
export function listenAddress(value = kitConfig().ollama.hostRaw): {
  hostname: string;
  port: number;
} {
  const raw = value?.trim();
  if (!raw) return { hostname: "127.0.0.1", port: 11434 };
  parseOllamaHost(raw); // a Spanish error for a value that is not an address
  const url = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`);
  const hostname = url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
  return { hostname, port: url.port ? Number(url.port) : 11434 };
}

/** Bytes as Ollama's CLI prints them ("104 MB", "2.0 GB"). */
export function humanBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${Math.round(n / 1e6)} MB`;
  if (n >= 1e3) return `${Math.round(n / 1e3)} KB`;
  return `${n} B`;
}

/** "hace 5 minutos" / "dentro de 4 minutos", as Ollama's CLI says "5 minutes ago". */
export function humanTime(iso: string, now = Date.now()): string {
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff) / 1000;
  const [n, unit] = abs < 60
    ? [Math.round(abs), "segundos"]
    : abs < 3600
    ? [Math.round(abs / 60), "minutos"]
    : abs < 86400
    ? [Math.round(abs / 3600), "horas"]
    : [Math.round(abs / 86400), "días"];
  if (abs > 1e9) return "para siempre";
  return diff < 0 ? `hace ${n} ${unit}` : `dentro de ${n} ${unit}`;
}

/** Pads columns like Ollama's `list` and `ps` tables. */
export function columns(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] + 4)).join("").trimEnd()).join("\n");
}

class CliError extends Error {}

async function request(path: string, init?: RequestInit): Promise<Response> {
  const host = parseOllamaHost(kitConfig().ollama.hostRaw);
  let res: Response;
  try {
    res = await fetch(`${host}${path}`, init);
  } catch {
    throw new CliError(
      `no hay ningún servidor de Ollama en ${host}: arráncalo con scripts/ollama_start.sh ` +
        "(o `nohup ollama serve &`)",
    );
  }
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new CliError(body?.error ?? `${res.status} ${res.statusText}`);
  }
  return res;
}

async function serve(): Promise<number> {
  const { hostname, port } = listenAddress();
  const log = (line: string) => console.error(line);
  let server;
  try {
    server = await startOllamaServer({ hostname, port, models: standInModels(), log });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      console.error(`Error: listen tcp ${hostname}:${port}: bind: address already in use`);
      console.error(
        `El puerto ${port} ya está ocupado por otro proceso: párelo, o use otro puerto ` +
          `(p. ej. OLLAMA_HOST=127.0.0.1:${port + 1}).`,
      );
      return 1;
    }
    throw error;
  }
  log(
    `time=${new Date().toISOString()} level=INFO msg="Listening on ${hostname}:${port} ` +
      `(version ${OFFLINE_VERSION})"`,
  );
  log(
    "Servidor local del kit (offline): habla el protocolo de Ollama, pero NO es Ollama; genera " +
      `con los modelos de la forja del kit (${
        standInModels().map((m) => m.name).join(", ")
      }) en GGUF, con llama.cpp, el motor de Ollama.`,
  );
  const engine = await standInEngine();
  if (engine !== "llama.cpp") log(`Aviso: motor ${engine}.`);
  const stop = () => void server.close();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  exitWhenStdinCloses(stop); // started by the kit (spawnServer): never outlive the parent
  await server.finished;
  log(`time=${new Date().toISOString()} level=INFO msg="servidor parado"`);
  return 0;
}

async function pull(model: string | undefined): Promise<number> {
  if (!model) throw new CliError("falta el modelo: ollama pull MODELO");
  const res = await request("/api/pull", {
    method: "POST",
    body: JSON.stringify({ model, stream: true }),
  });
  let lastStatus = "";
  const lastStep = new Map<string, number>();
  for await (const p of readNdjson<WireProgress & { error?: string }>(res.body!)) {
    if (p.error) throw new CliError(p.error);
    if (p.digest && p.total) {
      const pct = Math.floor((100 * (p.completed ?? 0)) / p.total);
      const step = Math.floor(pct / 25);
      if ((lastStep.get(p.digest) ?? -1) < step) {
        lastStep.set(p.digest, step);
        console.log(`${p.status}... ${String(pct).padStart(3)}% ${humanBytes(p.total)}`);
      }
    } else if (p.status !== lastStatus) console.log(p.status);
    lastStatus = p.status;
  }
  if (lastStatus !== "success") throw new CliError("la descarga terminó sin «success»");
  return 0;
}

async function list(): Promise<number> {
  const { models } = await (await request("/api/tags")).json() as { models: WireTagModel[] };
  const rows = [["NAME", "ID", "SIZE", "MODIFIED"]];
  for (const m of models) {
    rows.push([m.name, m.digest.slice(0, 12), humanBytes(m.size), humanTime(m.modified_at)]);
  }
  console.log(columns(rows));
  return 0;
}

/**
 * The rows `ollama ps` prints for /api/ps's models, with the columns real Ollama has printed
 * since July 2025 (ollama/ollama#11331): NAME, ID, SIZE, PROCESSOR, CONTEXT (the loaded context
 * length), UNTIL.
 */
export function psRows(models: WirePsModel[], now = Date.now()): string[][] {
  const rows = [["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]];
  for (const m of models) {
    rows.push([
      m.name,
      m.digest.slice(0, 12),
      humanBytes(m.size),
      processorShare(m.size, m.size_vram),
      m.context_length ? String(m.context_length) : "",
      humanTime(m.expires_at, now),
    ]);
  }
  return rows;
}

/** PROCESSOR as Ollama's CLI prints it: "100% CPU", "100% GPU" or "48%/52% CPU/GPU". */
function processorShare(size: number, vram: number): string {
  if (vram === 0) return "100% CPU";
  if (vram === size) return "100% GPU";
  if (vram > size || size === 0) return "Unknown";
  const cpu = Math.round((100 * (size - vram)) / size);
  return `${cpu}%/${100 - cpu}% CPU/GPU`;
}

async function ps(): Promise<number> {
  const { models } = await (await request("/api/ps")).json() as { models: WirePsModel[] };
  console.log(columns(psRows(models)));
  return 0;
}

async function stop(model: string | undefined): Promise<number> {
  if (!model) throw new CliError("falta el modelo: ollama stop MODELO");
  await (await request("/api/generate", {
    method: "POST",
    body: JSON.stringify({ model, keep_alive: 0 }),
  })).body?.cancel();
  return 0;
}

async function version(): Promise<number> {
  try {
    const { version } = await (await request("/api/version")).json();
    console.log(`ollama version is ${version}`);
  } catch {
    console.log("Warning: could not connect to a running Ollama instance");
    console.log(`Warning: client version is ${OFFLINE_VERSION}`);
  }
  return 0;
}

/** Runs one command line of the offline `ollama`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const rest = args[0] === "ollama" ? args.slice(1) : args;
  const [command, ...params] = rest;
  try {
    switch (command) {
      case "serve":
        return await serve();
      case "pull":
        return await pull(params[0]);
      case "list":
      case "ls":
        return await list();
      case "ps":
        return await ps();
      case "stop":
        return await stop(params[0]);
      case "-v":
      case "--version":
      case "version":
        return await version();
      case undefined:
      case "help":
      case "-h":
      case "--help":
        console.log(USAGE);
        return command === undefined ? 1 : 0;
      default:
        console.error(`Error: orden desconocida «${command}» (el sustituto offline no la tiene)`);
        console.error(USAGE);
        return 1;
    }
  } catch (error) {
    if (error instanceof CliError || /^OLLAMA_HOST=/.test((error as Error)?.message ?? "")) {
      console.error(`Error: ${(error as Error).message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
