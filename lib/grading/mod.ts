/**
 * Graded exercises: the student-notebook build and the sandboxed autograder.
 *
 * @module
 */
export {
  buildStudentNotebooks,
  listSources,
  SOURCES_DIR,
  stripSolutions,
  STUDENT_DIR,
  studentFileName,
  studentNotebook,
} from "./build.ts";
export {
  exerciseModule,
  type ExerciseOutcome,
  findSubmissions,
  type GradeOptions,
  type GradeReport,
  gradeSubmissions,
  loadSources,
  studentIdOf,
  type SubmissionOutcome,
  type TestOutcome,
} from "./grade.ts";
export { readNb, serializeNb } from "../notebook/nbformat.ts";
export { checkOutDir, OutDirError, summaryText, toCsv, writeReports } from "./report.ts";
export {
  DEFAULT_LIMITS,
  newCapabilityName,
  runInSandbox,
  type SandboxLimits,
  type SandboxRun,
} from "./sandbox.ts";
export { MAX_NOTEBOOK_BYTES, readSubmission } from "./submission.ts";
