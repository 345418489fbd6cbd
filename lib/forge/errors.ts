/** The forge's error type. @module */

/** An error whose message (in Spanish) is meant for the student or instructor. */
export class ForgeError extends Error {
  /** Creates a forge error with a Spanish, user-facing message. */
  constructor(message: string) {
    super(message);
    this.name = "ForgeError";
  }
}
