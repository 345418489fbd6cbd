/**
 * The offline `ollama` stand-in's `ps` table: the columns and cells real Ollama prints (since
 * July 2025, ollama/ollama#11331: NAME, ID, SIZE, PROCESSOR, CONTEXT, UNTIL), from /api/ps entries.
 */
import assert from "node:assert/strict";
import { psRows } from "../lib/methods/ollama/standin/cli.ts";
import type { WirePsModel } from "../lib/methods/ollama/wire.ts";

const NOW = Date.parse("2026-12-02T10:00:00Z");

function entry(size: number, vram: number, context?: number): WirePsModel {
  return {
    name: "llama3.2:latest",
    model: "llama3.2:latest",
    size,
    digest: "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
    details: {} as WirePsModel["details"],
    expires_at: "2026-12-02T10:04:00Z",
    size_vram: vram,
    ...(context ? { context_length: context } : {}),
  };
}

Deno.test("ollama ps (stand-in): Ollama's six columns, with the loaded context length", () => {
  const rows = psRows([entry(4_000_000_000, 4_000_000_000, 4096)], NOW);
  assert.deepEqual(rows[0], ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]);
  assert.deepEqual(rows[1], [
    "llama3.2:latest",
    "a80c4f17acd5",
    "4.0 GB",
    "100% GPU",
    "4096",
    "dentro de 4 minutos",
  ]);
});

Deno.test("ollama ps (stand-in): PROCESSOR splits CPU/GPU as Ollama's CLI does", () => {
  const processor = (size: number, vram: number) => psRows([entry(size, vram)], NOW)[1][3];
  assert.equal(processor(1000, 0), "100% CPU");
  assert.equal(processor(1000, 1000), "100% GPU");
  // 520 of 1000 bytes in VRAM: 48 % on the CPU, 52 % on the GPU.
  assert.equal(processor(1000, 520), "48%/52% CPU/GPU");
  assert.equal(processor(1000, 1200), "Unknown");
  // No context_length in the entry (an older server): the cell stays empty.
  assert.equal(psRows([entry(1000, 0)], NOW)[1][4], "");
});
