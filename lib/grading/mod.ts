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
  type ExerciseOutcome,
  findSubmissions,
  type GradeOptions,
  type GradeReport,
  gradeSubmissions,
  studentIdOf,
  type SubmissionOutcome,
  type TestOutcome,
} from "./grade.ts";
export { readNb, serializeNb } from "../notebook/nbformat.ts";
export { summaryText, toCsv, writeReports } from "./report.ts";
export { DEFAULT_LIMITS, runInSandbox, type SandboxLimits } from "./sandbox.ts";
