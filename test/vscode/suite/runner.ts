// A tiny sequential test runner for the extension host (mocha is not a dependency): runs each
// case in order with a deadline and prints ✔/✖ lines (they reach the test log through the
// "[Extension Host]" console forwarding).
import type { BerthApi } from '../../../client/src/extension';

/** One feature's cases; a file `<feature>.suite.ts` exports it as `suite`. */
export interface Suite {
  readonly title: string;
  /** Creates what the cases need; `after` removes it, also when cases failed. */
  prepare(berth: BerthApi): Promise<{ readonly cases: readonly Case[]; readonly after?: () => Promise<void> }>;
}

export interface Case {
  readonly name: string;
  readonly fn: () => Promise<void>;
}

/** Runs the cases in order; returns how many failed. */
export async function runCases(title: string, cases: readonly Case[], options: { timeoutMs?: number; after?: () => Promise<void> } = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const failures: string[] = [];
  console.log(`▶ ${title}`);
  for (const c of cases) {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      console.log(`  ✔ ${c.name} (${Date.now() - started} ms)`);
    } catch (error) {
      failures.push(c.name);
      console.log(`  ✖ ${c.name} (${Date.now() - started} ms)\n${indent((error as Error).stack ?? String(error))}`);
    } finally {
      clearTimeout(timer);
    }
  }
  try {
    await options.after?.();
  } catch (error) {
    failures.push(`after: ${(error as Error).message}`);
  }
  console.log(`${failures.length === 0 ? '✔' : '✖'} ${title}: ${cases.length - failures.length} of ${cases.length} passed`);
  return failures.length;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n');
}

/** Polls until `probe` returns something `accept` takes, or throws naming what was last seen. */
export async function eventually<T>(what: string, probe: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() >= deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${describe(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 500) ?? String(value);
  } catch {
    return String(value);
  }
}
