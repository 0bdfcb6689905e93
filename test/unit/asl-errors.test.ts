// Every ErrorEquals name in statemachines/*.asl.yml is one a Lambda can throw, and every Retry name is retryable.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as errors from '../../lib/errors.ts';

const DIRECTORY = join(import.meta.dirname, '../../statemachines');

/** Transport errors of lib/http.ts: every client wraps them, so no handler ever throws one. */
const NEVER_THROWN = ['HttpTimeout', 'HttpNetworkError'];

/** name → whether an error of that exported AppError class is retryable by default. */
const APP_ERRORS = new Map(
  Object.values(errors)
    .filter((value): value is typeof errors.AppError => value === errors.AppError || isAppErrorClass(value))
    .map((Class) => {
      const sample = new Class('sample');
      return [sample.name, sample.retryable] as const;
    }),
);

function isAppErrorClass(value: unknown): boolean {
  return typeof value === 'function' && value.prototype instanceof errors.AppError;
}

interface Rule {
  state: string;
  kind: 'Retry' | 'Catch';
  names: string[];
}

type States = Record<string, Record<string, unknown>>;

/** Every Retry and Catch rule, Map iterators (Iterator / ItemProcessor) and Parallel branches included. */
function rulesOf(states: States, path = ''): Rule[] {
  return Object.entries(states).flatMap(([name, state]) => {
    const where = `${path}${name}`;
    const own = (['Retry', 'Catch'] as const).flatMap((kind) =>
      ((state[kind] ?? []) as Array<{ ErrorEquals: string[] }>).map((rule) => ({
        state: where,
        kind,
        names: rule.ErrorEquals,
      })),
    );
    const nested = [state.Iterator, state.ItemProcessor, ...((state.Branches as unknown[] | undefined) ?? [])] as Array<
      { States?: States } | undefined
    >;
    return [...own, ...nested.flatMap((inner) => (inner?.States ? rulesOf(inner.States, `${where} > `) : []))];
  });
}

/** What is wrong with one rule's names; [] when every name is fine. */
function problemsOf(rule: Rule): string[] {
  return rule.names.flatMap((name) => {
    const at = `${rule.state} ${rule.kind} ${name}`;
    // States.*, Lambda.* and the Step Functions integration's own StepFunctions.* (fan-out.asl.yml's child starts).
    if (name.startsWith('States.') || name.startsWith('Lambda.') || name.startsWith('StepFunctions.')) return [];
    if (NEVER_THROWN.includes(name)) return [`${at}: never leaves a Lambda (the clients wrap it)`];
    if (!APP_ERRORS.has(name)) return [`${at}: not the name of an AppError class in lib/errors.ts`];
    if (rule.kind === 'Retry' && !APP_ERRORS.get(name)) return [`${at}: not retryable`];
    return [];
  });
}

const files = readdirSync(DIRECTORY).filter((file) => file.endsWith('.asl.yml'));

describe('ASL ErrorEquals names', () => {
  it('finds the state machines and their rules', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const rules = rulesOf(parse(readFileSync(join(DIRECTORY, file), 'utf8')).States);
      expect(rules.some((rule) => rule.kind === 'Retry')).toBe(true);
    }
  });

  it.each(files)('%s names only errors a Lambda throws, and retries only retryable ones', (file) => {
    const rules = rulesOf(parse(readFileSync(join(DIRECTORY, file), 'utf8')).States);
    expect(rules.flatMap(problemsOf)).toEqual([]);
  });

  it('flags bad names, also inside a Map iterator and a Parallel branch', () => {
    const retry = (...names: string[]) => ({ Retry: [{ ErrorEquals: names }] });
    const states: States = {
      Top: { ...retry('DownloadFailed', 'Lambda.ServiceException'), Catch: [{ ErrorEquals: ['States.ALL'] }] },
      Each: {
        Type: 'Map',
        ItemProcessor: { States: { Copy: retry('DownloadRefused', 'HttpTimeout') } },
        Iterator: { States: { Old: { Catch: [{ ErrorEquals: ['NoSuchError'] }] } } },
      },
      Both: { Type: 'Parallel', Branches: [{ States: { Left: retry('ExportStorageFailed') } }] },
    };
    expect(rulesOf(states).flatMap(problemsOf)).toEqual([
      'Each > Old Catch NoSuchError: not the name of an AppError class in lib/errors.ts',
      'Each > Copy Retry DownloadRefused: not retryable',
      'Each > Copy Retry HttpTimeout: never leaves a Lambda (the clients wrap it)',
      'Both > Left Retry ExportStorageFailed: not retryable',
    ]);
  });

  it('knows the retryable classes by their own flag', () => {
    expect(APP_ERRORS.get('DownloadFailed')).toBe(true);
    expect(APP_ERRORS.get('GrowingIoThrottled')).toBe(true);
    expect(APP_ERRORS.get('DownloadRefused')).toBe(false);
    expect(APP_ERRORS.get('DownloadLinkExpired')).toBe(false);
  });
});
