/**
 * What notebooks/04_groq.ipynb must show when executed offline (KIT_OFFLINE=1 with a fake
 * key): the masked key, the local stand-in labelled as such, kit-es's own text (read
 * here directly from the model), timings and usage that add up, the rate limits the server
 * announced, every error case with its message, and the cost recomputed from the tokens.
 */
import assert from "node:assert/strict";
import type { Notebook } from "../../scripts/nb.ts";
import { joined, taggedCell, taggedText } from "../_notebooks.ts";
import { localBackend } from "../../lib/methods/optimized/local.ts";
import { FAKE_GROQ_KEY } from "./env.ts";

const PROMPT = "Explica en dos frases qué es la cuantización de un modelo de lenguaje.";
const MAX_TOKENS = 60;

/** The cells of a Markdown table row that starts with `label` (escaped pipes kept). */
function row(text: string, label: string): string[] {
  const line = text.split("\n").find((l) => l.startsWith(`| ${label} |`));
  assert.ok(line, `no row «${label}» in:\n${text}`);
  return line.slice(2, -2).split(/(?<!\\) \| /).map((c) => c.trim());
}

/** The number in bold after `before` in a Markdown text. */
function bold(text: string, before: string): number {
  const i = text.indexOf(before);
  assert.ok(i >= 0, `no «${before}» in:\n${text}`);
  const m = /\*\*([-\d.]+)/.exec(text.slice(i + before.length));
  assert.ok(m, `no bold number after «${before}»`);
  return Number(m[1]);
}

/** Asserts the key cells of the executed 04_groq notebook. */
export async function check04Groq(nb: Notebook): Promise<void> {
  const key = taggedText(nb, "key");
  assert.deepEqual(row(key, "GROQ_API_KEY"), [
    "GROQ_API_KEY",
    `definida: gsk_•••• (${FAKE_GROQ_KEY.length} caracteres)`,
  ]);
  assert.deepEqual(row(key, "De dónde sale"), ["De dónde sale", "entorno"]);

  const connect = taggedText(nb, "connect");
  assert.equal(row(connect, "Modo")[1], "offline: servidor local del kit (NO es Groq)");
  assert.match(row(connect, "Motivo")[1], /^KIT_OFFLINE=1/);
  assert.match(row(connect, "URL base")[1], /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(row(connect, "Clave enviada")[1], "ninguna (marcador offline, no es una clave)");
  assert.match(connect, /\*\*No son respuestas de Groq\*\*/);

  const models = taggedText(nb, "models");
  assert.deepEqual(row(models, "kit-offline-kit-es"), [
    "kit-offline-kit-es",
    "kit-offline",
    "2048",
    "—",
    "no",
    "sí",
  ]);
  assert.match(taggedText(nb, "reasoning"), /no envió razonamiento/);

  // The text is kit-es's own greedy answer to the same chat, read here directly.
  const direct = await (await localBackend()).generate([{ role: "user", content: PROMPT }], {
    maxTokens: MAX_TOKENS,
  });
  const first = taggedText(nb, "first-call");
  assert.equal(first.split("\n")[0], direct.text);
  const [, tokensIn, tokensOut, stop] = row(first, "kit-offline-kit-es");
  assert.equal(Number(tokensIn), direct.tokensIn);
  assert.equal(Number(tokensOut), direct.tokensOut);
  assert.equal(stop, direct.stopReason);

  const streaming = taggedText(nb, "streaming");
  assert.ok(streaming.startsWith(`Respuesta: ${direct.text}\n`), streaming);
  assert.match(streaming, /\*\*¿Mismo texto que sin streaming\?\*\* sí/);
  assert.match(
    streaming,
    new RegExp(`ms\\*\\*; ${direct.tokensOut} tokens a\n\\*\\*\\d+ tokens/s`),
  );

  // Client measurements and the service's own figures add up: the client's wait contains the
  // service's, and both count the same tokens.
  const timings = taggedText(nb, "timings");
  const num = (label: string) => row(timings, label).slice(1).map(Number);
  const [ttft, queuePrompt] = num("Hasta el primer token, ms (TTFT \\| cola + prompt)");
  const [total, serviceTotal] = num("Total, ms (llamada completa \\| cola + total_time)");
  assert.ok(ttft >= queuePrompt - 0.02, `TTFT ${ttft} < queue + prompt ${queuePrompt}`);
  assert.ok(total >= serviceTotal - 0.02, `total ${total} < service ${serviceTotal}`);
  assert.ok(ttft < total);
  assert.equal(row(timings, "Tokens de salida")[2], String(direct.tokensOut));
  assert.equal(row(timings, "Tokens de entrada")[2], String(direct.tokensIn));
  const [clientTps, serviceTps] = num("Tokens por segundo (generación)");
  assert.ok(clientTps > 0 && serviceTps > 0);

  const plot = (taggedCell(nb, "timings-plot").outputs ?? []).find((o) =>
    o.data?.["image/svg+xml"]
  );
  assert.ok(plot, "the chart is shown as SVG");
  const svg = joined(plot.data!["image/svg+xml"]);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(svg.match(/<rect /g)?.length, 6, "one bar per measure");

  const verdict = taggedText(nb, "timings-verdict");
  const measured = bold(verdict, "de ");
  const service = bold(verdict, "dice haber usado ");
  const network = bold(verdict, "suman ");
  assert.ok(Math.abs(network - (measured - service)) <= 0.151, verdict);
  assert.ok(network >= -0.1, verdict);

  // 5 chat calls before this cell; the headers were computed before the 5th call's tokens.
  const limits = taggedText(nb, "rate-limits");
  assert.deepEqual(row(limits, "Peticiones por día (RPD)").slice(1, 3), ["1000", "995"]);
  const perCall = direct.tokensIn + direct.tokensOut;
  assert.deepEqual(row(limits, "Tokens por minuto (TPM)").slice(1, 3), [
    "6000",
    String(6000 - 4 * perCall),
  ]);
  assert.match(limits, /Resumen: peticiones hoy: quedan 995 de 1000/);

  const errors = taggedText(nb, "errors");
  const cases: [string, string, RegExp][] = [
    ["clave incorrecta (401)", "auth", /401, no autorizada.*console\.groq\.com\/keys/],
    [
      "modelo retirado en GROQ_MODEL («llama2-70b-4096»)",
      "model-unavailable",
      /Modelos disponibles ahora: kit-offline-kit-es/,
    ],
    [
      "sin red (nadie escucha en la dirección)",
      "network",
      /No se pudo conectar con http:\/\/127\.0\.0\.1:\d+/,
    ],
    [
      "429 con retry-after: 1 s, una vez (el kit espera y reintenta)",
      "ok",
      /esperar 1 s \(retry-after\)\. Reintento 1 de 2/,
    ],
    [
      "429 que no cede (3 veces seguidas)",
      "rate-limit",
      /Espera 1 s \(lo pide la cabecera retry-after\).*tokens este minuto: quedan 0 de 6000/,
    ],
    ["500 del servidor (3 veces seguidas)", "server", /\(500\).*no es un fallo de tu código/],
    [
      "modelo retirado durante la sesión (400 model_decommissioned)",
      "model-unavailable",
      /400 model_decommissioned/,
    ],
    [
      "conexión cortada a mitad del streaming",
      "stream-cut",
      /se cortó a mitad de la respuesta \(llegaron 3 tokens\)/,
    ],
    ["respuesta lenta (tiempo límite de 0.5 s)", "timeout", /no respondió en 0\.5 s/],
  ];
  for (const [caso, kind, says] of cases) {
    const cells = row(errors, caso);
    assert.equal(cells[1], kind, caso);
    assert.match(cells[4], says, caso);
  }
  const retried = row(errors, cases[3][0]);
  assert.ok(Number(retried[3]) >= 1, `retry-after not honoured: ${retried[3]} s`);

  // Cost recomputed from the tokens of the 5 calls and the example prices in the cell.
  const cost = taggedText(nb, "cost");
  assert.equal(bold(cost, "En este cuaderno: "), 5);
  const usedIn = bold(cost, "llamadas**, ");
  const usedOut = bold(cost, "tokens de entrada y\n");
  assert.equal(usedIn, 5 * direct.tokensIn);
  assert.equal(usedOut, 5 * direct.tokensOut);
  const usd = bold(cost, "de salida → ");
  assert.ok(Math.abs(usd - (usedIn * 0.05 + usedOut * 0.08) / 1e6) <= 5e-7, cost);
  assert.equal(bold(cost, "caben unas "), Math.floor(6000 / perCall));

  assert.match(taggedText(nb, "close"), /^Servidor local del kit detenido\./);
  // No cell failed, and the narrative never shows a key.
  for (const cell of nb.cells) {
    assert.ok(!(cell.outputs ?? []).some((o) => o.output_type === "error"), cell.id ?? "");
  }
}
