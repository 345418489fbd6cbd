/** Tests' environment helpers: set variables for one test only, never for the whole run. */

/** Runs `fn` with environment variables set (undefined = unset), restoring them after. */
export async function withEnv(
  vars: Record<string, string | undefined>,
  fn: () => void | Promise<void>,
) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) Deno.env.delete(k);
      else Deno.env.set(k, value);
    }
  };
  apply(vars);
  try {
    await fn();
  } finally {
    apply(saved);
  }
}

/**
 * A test that runs with KIT_OFFLINE=1 for its own duration only (module-level settings leak
 * into every other test file of the run, whose results then depend on load order).
 */
export function offlineTest(name: string, fn: () => void | Promise<void>): void {
  Deno.test(name, () => withEnv({ KIT_OFFLINE: "1" }, fn));
}
