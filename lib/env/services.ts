/** Which of the four methods can run online here, and which will run offline. */

/** Default Ollama address, as the Ollama CLI and server use it. */
export const OLLAMA_DEFAULT_HOST = "http://127.0.0.1:11434";

/**
 * The Ollama base URL from OLLAMA_HOST, read the way Ollama reads it: scheme optional
 * (http), port optional (11434), and 0.0.0.0 (listen everywhere) reached as 127.0.0.1.
 * The ollama npm client does not read OLLAMA_HOST itself: pass this as its `host`.
 *
 * @example
 * ```ts
 * ollamaHost("0.0.0.0"); // "http://127.0.0.1:11434"
 * ```
 */
export function ollamaHost(value = Deno.env.get("OLLAMA_HOST")): string {
  const raw = value?.trim();
  if (!raw) return OLLAMA_DEFAULT_HOST;
  const url = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`);
  if (!url.port) url.port = url.protocol === "https:" ? "443" : "11434";
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
  return url.origin + url.pathname.replace(/\/$/, "");
}

/** True when KIT_OFFLINE asks for offline mode (1, true, yes, sí). */
export function forcedOffline(value = Deno.env.get("KIT_OFFLINE")): boolean {
  return /^(1|true|yes|s[ií])$/i.test(value?.trim() ?? "");
}

/** Whether a URL answers any HTTP response within the time limit. */
export async function reachable(url: string, timeoutMs = 2500): Promise<boolean> {
  try {
    const res = await fetch(url, { method: "GET", signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

async function onPath(program: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("sh", {
      args: ["-c", `command -v ${program}`],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** How one method will run on this machine. */
export interface MethodMode {
  method: number;
  name: string;
  mode: "online" | "offline";
  /** Why, in Spanish (a student reads it). */
  reason: string;
}

/**
 * Decides, for each of the four methods, whether it runs online (real hub / real Ollama /
 * real Groq) or offline (the kit's local model and local servers), and says why.
 * KIT_OFFLINE=1 skips every network probe.
 */
export async function methodModes(): Promise<MethodMode[]> {
  if (forcedOffline()) {
    const why = "KIT_OFFLINE=1: modo sin conexión pedido";
    return [
      { method: 1, name: "Pipeline", mode: "offline", reason: why },
      { method: 2, name: "Optimizado", mode: "offline", reason: why },
      { method: 3, name: "Ollama", mode: "offline", reason: why },
      { method: 4, name: "Groq", mode: "offline", reason: why },
    ];
  }
  const host = ollamaHost();
  const groqBase = (Deno.env.get("GROQ_BASE_URL") ?? "https://api.groq.com").replace(/\/$/, "");
  const hasKey = Boolean(Deno.env.get("GROQ_API_KEY"));
  const [hub, ollamaUp, ollamaInstalled, groqUp] = await Promise.all([
    reachable("https://huggingface.co/api/models?limit=1"),
    reachable(`${host}/api/version`),
    onPath("ollama"),
    hasKey ? reachable(`${groqBase}/openai/v1/models`) : Promise.resolve(false),
  ]);
  const hf: Pick<MethodMode, "mode" | "reason"> = hub
    ? { mode: "online", reason: "Hugging Face Hub accesible: modelos reales del Hub" }
    : { mode: "offline", reason: "Hub inaccesible: modelo local del kit (forja, «tiny»)" };
  return [
    { method: 1, name: "Pipeline", ...hf },
    { method: 2, name: "Optimizado", ...hf },
    {
      method: 3,
      name: "Ollama",
      ...(ollamaUp ? { mode: "online", reason: `ollama serve responde en ${host}` } : {
        mode: "offline",
        reason: ollamaInstalled
          ? `ollama está instalado pero no responde en ${host}: arráncalo con scripts/ollama_start.sh`
          : "ollama no está instalado: servidor local del kit con el protocolo de Ollama",
      }),
    } as MethodMode,
    {
      method: 4,
      name: "Groq",
      ...(groqUp ? { mode: "online", reason: `GROQ_API_KEY definida y ${groqBase} accesible` } : {
        mode: "offline",
        reason: hasKey
          ? `${groqBase} inaccesible: servidor local del kit con el protocolo de Groq`
          : "sin GROQ_API_KEY: servidor local del kit con el protocolo de Groq",
      }),
    } as MethodMode,
  ];
}
