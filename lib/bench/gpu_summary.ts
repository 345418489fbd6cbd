/**
 * The GPU benchmark's summary, printed last (the device tool returns the end of the output):
 * the table of runs, the same-run ratios, the webgpu roofline and the operator profile.
 *
 * @module
 */
import { gpuTable } from "./gpu.ts";
import type { gpuRoofline } from "./gpu_plan.ts";
import type { GpuReport } from "./gpu_reference.ts";
import type { ProfileSummary } from "./ort_profile.ts";

/** The summary of a report, as lines of text (Markdown tables and notes). */
export function gpuSummary(report: GpuReport): string {
  const lines = ["\n" + gpuTable(report.results.filter((r) => !r.profile))];
  lines.push("\n| ratio (same run) | prefill | decode |\n|---|---|---|");
  for (const q of report.ratios) {
    lines.push(
      `| ${q.label} | ${q.prefill?.toFixed(2) ?? "—"}× | ${q.decode?.toFixed(2) ?? "—"}× |`,
    );
  }
  const bw = report.gpuCopyBandwidthBytesPerSecond;
  if (bw) {
    lines.push(`\nGPU copy bandwidth ${(bw / 1e12).toFixed(2)} TB/s; roofline (webgpu):`);
    for (const r of report.results.filter((r) => r.roofline && !r.profile)) {
      const f = r.roofline as ReturnType<typeof gpuRoofline>;
      lines.push(
        `  ${r.dtype} ${r.graph}: ${f.tokensPerSecond.toFixed(0)} tok/s possible, measured ${
          ((f.fraction ?? 0) * 100).toFixed(1)
        } %`,
      );
    }
  }
  const prof = report.results.find((r) => r.opProfile)?.opProfile as ProfileSummary | undefined;
  if (prof) {
    lines.push(
      `\nprofile (webgpu q4f16 decode step): ${prof.stepUs.toFixed(0)} µs, ${
        prof.kernelsPerStep.toFixed(0)
      } kernels, ${(prof.kernelFraction * 100).toFixed(0)} % inside kernels; top: ` +
        prof.ops.slice(0, 6).map((o) =>
          `${o.op} ${o.usPerStep.toFixed(0)} µs/${o.callsPerStep.toFixed(0)}`
        ).join(", "),
    );
  }
  return lines.join("\n");
}
