export { finiteNumber, parseKeyValues } from './key-values.ts';
export { type EpochLine, parseEpochLines, parseResultLine, readResultLine, type ResultLine } from './result-line.ts';
export { MEMORY_SYSCALLS, parseStraceSummary, straceCountArgs } from './strace-summary.ts';
export { type ObserveReport, parseObserveReport } from './observe-report.ts';
export { type AnnotatedLine, parsePerfAnnotate, parsePerfReport, type PerfRow } from './perf.ts';
export { parseCallgrindCollected } from './callgrind.ts';
