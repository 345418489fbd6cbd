/** The forge's errors: the kit's one error type, kind "forge". @module */
import { KitError } from "../core/errors.ts";

/**
 * A forge failure (Spanish, user-facing): a {@link KitError} of kind "forge", so callers of
 * any backend still need one `catch`.
 */
export class ForgeError extends KitError {
  /** Creates a forge error with a Spanish, user-facing message. */
  constructor(message: string) {
    super(message, { kind: "forge" });
    this.name = "ForgeError";
  }
}
