/**
 * `switchboard flow validate|test|graph`: the analysts' checks before publishing a flow.
 *  - `validate FILE...`: every problem as `path:line:col: error|warning CODE: message`
 *    (or `--format json`); exit 1 on any error. `numbers.yaml` and `*.test.yaml` are checked too.
 *  - `test FILE|DIR...`: runs each flow's scenarios on the interpreter; exit 1 on a failure
 *    (or, with `--coverage`, on an untaken branch).
 *  - `graph FILE --format mermaid|dot`: draws the flow.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import type { Command } from 'commander';

import { AppError } from '../../shared/errors/app-error.js';
import { runScenarios } from '../../shared/flow/flow-test.js';
import { toDot, toMermaid } from '../../shared/flow/graph.js';
import { expandFlowPaths, loadFlowFile, loadNumbersFile, loadTestFile } from '../../shared/flow/node/load.js';
import type { FlowIssue } from '../../shared/flow/parse.js';

const out = (s: string): void => void process.stdout.write(s);

/** One issue as `path:line:col: severity CODE: message`. */
export function formatIssue(i: FlowIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${i.severity} ${i.code}: ${i.message}`;
}

/**
 * A file that cannot be read (missing, a folder, no permission) as an issue at 1:1, so one bad
 * path does not hide the problems of the other files. Rethrows anything that is not an AppError.
 */
function fileIssue(file: string, err: unknown): FlowIssue {
  if (!(err instanceof AppError)) throw err;
  const message = err.message.startsWith(`${file}: `) ? err.message.slice(file.length + 2) : err.message;
  return { file, line: 1, col: 1, severity: 'error', code: err.code, message, path: '' };
}

/** Expands each path on its own: a missing path becomes an issue instead of ending the run. */
function expandEach(
  paths: readonly string[],
  single: (p: string) => boolean,
): { files: string[]; issues: FlowIssue[] } {
  const files: string[] = [];
  const issues: FlowIssue[] = [];
  for (const p of paths) {
    if (single(p)) files.push(p);
    else
      try {
        files.push(...expandFlowPaths([p]));
      } catch (err) {
        issues.push(fileIssue(p, err));
      }
  }
  return { files, issues };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** `numbers.yaml` (or `.yml`) in `dir`, when there is one. */
function numbersFileIn(dir: string): string[] {
  return ['numbers.yaml', 'numbers.yml'].map((n) => join(dir, n)).filter((f) => existsSync(f));
}

function validateFiles(files: readonly string[], allowedHosts: string[]): FlowIssue[] {
  const issues: FlowIssue[] = [];
  for (const f of files) {
    const b = basename(f);
    try {
      if (/^numbers\.ya?ml$/i.test(b)) issues.push(...loadNumbersFile(f).issues);
      else if (/\.test\.ya?ml$/i.test(b)) issues.push(...loadTestFile(f).issues);
      else issues.push(...loadFlowFile(f, { allowedHosts }).issues);
    } catch (err) {
      issues.push(fileIssue(f, err));
    }
  }
  return issues;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Registers `flow validate`, `flow test` and `flow graph` on `program`. */
export function registerFlowCommands(program: Command): void {
  const flow = program.command('flow').description('check, test and draw IVR flow definitions');

  flow
    .command('validate')
    .description('validate flow files (and numbers.yaml, *.test.yaml); exit 1 on any error')
    .argument('<files...>', 'flow files or folders')
    .option('--format <format>', 'text or json', 'text')
    .option(
      '--allow-host <host>',
      'deployment allowlist host for httpRequest (repeatable)',
      collect,
      [] as string[],
    )
    .action((paths: string[], opts: { format: string; allowHost: string[] }) => {
      if (opts.format !== 'text' && opts.format !== 'json')
        throw new AppError('CLI.USAGE', `--format must be text or json, not "${opts.format}"`);
      const expanded = expandEach(paths, (p) => /\.(ya?ml|json)$/i.test(p));
      // A folder's numbers.yaml is checked too (its flow ids against the flows beside it).
      const files = expanded.files.concat(
        paths.filter((p) => isDirectory(p)).flatMap((d) => numbersFileIn(d)),
      );
      const issues = [...expanded.issues, ...validateFiles(files, opts.allowHost)];
      const errors = issues.filter((i) => i.severity === 'error').length;
      if (opts.format === 'json')
        out(
          JSON.stringify({ files: files.length, errors, warnings: issues.length - errors, issues }, null, 2) +
            '\n',
        );
      else {
        for (const i of issues) out(formatIssue(i) + '\n');
        out(`${files.length} file(s): ${errors} error(s), ${issues.length - errors} warning(s)\n`);
      }
      process.exitCode = errors > 0 ? 1 : 0;
    });

  flow
    .command('test')
    .description("run flows' scenarios (inline `tests:` and FILE.test.yaml) on the interpreter")
    .argument('<paths...>', 'flow files or folders')
    .option('--format <format>', 'text or json', 'text')
    .option('--coverage', 'fail when a branch is not taken by any scenario')
    .action((paths: string[], opts: { format: string; coverage?: boolean }) => {
      if (opts.format !== 'text' && opts.format !== 'json')
        throw new AppError('CLI.USAGE', `--format must be text or json, not "${opts.format}"`);
      const expanded = expandEach(paths, () => false);
      const files = expanded.files;
      let passed = 0;
      let failed = 0;
      let uncoveredTotal = 0;
      let invalid = 0;
      const report: unknown[] = [];
      const t0 = performance.now();
      for (const missing of expanded.issues) {
        invalid++;
        if (opts.format === 'text') out(`✗ ${missing.file}: ${missing.code}: ${missing.message}\n`);
        report.push({ file: missing.file, valid: false, issues: [missing] });
      }
      for (const file of files) {
        let loaded: ReturnType<typeof loadFlowFile>;
        try {
          loaded = loadFlowFile(file);
        } catch (err) {
          loaded = { file, issues: [fileIssue(file, err)], scenarios: [] };
        }
        const errors = loaded.issues.filter((i) => i.severity === 'error');
        if (!loaded.flow || errors.length > 0) {
          invalid++;
          if (opts.format === 'text') {
            out(`✗ ${file}: invalid flow\n`);
            for (const i of errors) out(`    ${formatIssue(i)}\n`);
          }
          report.push({ file, valid: false, issues: errors });
          continue;
        }
        const { results, coverage } = runScenarios(
          loaded.flow,
          loaded.scenarios.map((s) => s.scenario),
        );
        uncoveredTotal += coverage.uncovered.length;
        if (opts.format === 'text') out(`${file} (${results.length} scenario(s))\n`);
        for (const r of results) {
          if (r.passed) passed++;
          else failed++;
          if (opts.format === 'text') {
            out(`  ${r.passed ? '✓' : '✗'} ${r.name}  [${r.outcomeText}]\n`);
            for (const f of r.failures) out(`      ${f}\n`);
          }
        }
        if (opts.format === 'text') {
          out(`  branches: ${coverage.covered.length}/${coverage.edges} covered\n`);
          for (const u of coverage.uncovered) out(`      not covered: ${u}\n`);
        }
        report.push({
          file,
          valid: true,
          scenarios: results.map((r) => ({
            name: r.name,
            passed: r.passed,
            failures: r.failures,
            path: r.path,
            prompts: r.prompts,
            outcome: r.outcomeText,
          })),
          coverage,
        });
      }
      const ms = Math.round(performance.now() - t0);
      if (opts.format === 'json')
        out(
          JSON.stringify(
            { passed, failed, invalidFlows: invalid, uncoveredBranches: uncoveredTotal, flows: report },
            null,
            2,
          ) + '\n',
        );
      else
        out(
          `scenarios: ${passed} passed, ${failed} failed; flows: ${files.length + expanded.issues.length - invalid} ok, ${invalid} invalid; ${uncoveredTotal} uncovered branch(es) (${ms} ms)\n`,
        );
      process.exitCode = failed > 0 || invalid > 0 || (opts.coverage === true && uncoveredTotal > 0) ? 1 : 0;
    });

  flow
    .command('graph')
    .description('draw a flow as a Mermaid or Graphviz DOT graph')
    .argument('<file>', 'flow file')
    .option('--format <format>', 'mermaid or dot', 'mermaid')
    .action((file: string, opts: { format: string }) => {
      if (opts.format !== 'mermaid' && opts.format !== 'dot')
        throw new AppError('CLI.USAGE', `--format must be mermaid or dot, not "${opts.format}"`);
      const loaded = loadFlowFile(file);
      if (!loaded.flow) {
        const first = loaded.issues.find((i) => i.severity === 'error');
        throw new AppError(
          'FLOW.INVALID',
          `${file} is not a valid flow${first ? ` (${formatIssue(first)})` : ''}; run \`switchboard flow validate\``,
        );
      }
      out(opts.format === 'dot' ? toDot(loaded.flow) : toMermaid(loaded.flow));
    });
}
