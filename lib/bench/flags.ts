/**
 * The command line of `deno task bench`, parsed in one place.
 *
 * @module
 */

/** The sub-suites, in the order they run. */
export const SUITES = ["roofline", "llamacpp", "overhead", "7b", "scaling", "tuning"] as const;

/** One sub-suite's name. */
export type Suite = (typeof SUITES)[number];

/** What the command line asked for. */
export interface BenchFlags {
  /** Suites to run (default: all). */
  only: Suite[];
  /** Fewer tokens, rounds and dtypes: a smoke run in a few minutes. */
  quick: boolean;
  /** Output folder (default out/bench). */
  out: string | null;
  /** Rounds per measurement (default 5, quick 2). */
  repeats: number;
  help: boolean;
}

/** Thrown for a flag or suite the command line does not know. */
export class FlagError extends Error {
  override name = "FlagError";
}

/** Usage text printed by --help. */
export const USAGE = `deno task bench [--only ${
  SUITES.join(",")
}] [--quick] [--repeats N] [--out DIR]
  roofline  tinyllama-1.1b decode tok/s per dtype against memory bandwidth ÷ bytes per token
  llamacpp  llama.cpp (Ollama's engine) on the same weights as GGUF, interleaved with the kit
  overhead  Optimized backend against a raw onnxruntime-node decode loop (same tokens)
  7b        llama-2-7b shape in q4 and q8: load time, peak RSS, tok/s for 32 tokens
  scaling   tok/s and RSS against context length and thread count
  tuning    onnxruntime session options (threads, graph optimization, spinning, arena)`;

/**
 * Parses the bench's arguments.
 *
 * @example
 * ```ts
 * parseBenchFlags(["--only", "roofline,7b", "--quick"]).only; // ["roofline", "7b"]
 * ```
 */
export function parseBenchFlags(args: string[]): BenchFlags {
  const flags: BenchFlags = { only: [...SUITES], quick: false, out: null, repeats: 0, help: false };
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === "") throw new FlagError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case "--only": {
        const names = value().split(",").map((s) => s.trim()).filter(Boolean);
        for (const n of names) {
          if (!(SUITES as readonly string[]).includes(n)) {
            throw new FlagError(`unknown suite "${n}" (known: ${SUITES.join(", ")})`);
          }
        }
        flags.only = SUITES.filter((s) => names.includes(s));
        break;
      }
      case "--quick":
        flags.quick = true;
        break;
      case "--out":
        flags.out = value();
        break;
      case "--repeats": {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) {
          throw new FlagError(`--repeats must be a positive integer`);
        }
        flags.repeats = n;
        break;
      }
      case "--help":
      case "-h":
        flags.help = true;
        break;
      default:
        throw new FlagError(`unknown flag "${args[i]}"\n${USAGE}`);
    }
  }
  flags.repeats ||= flags.quick ? 2 : 5;
  return flags;
}
