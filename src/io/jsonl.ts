import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';

export type JsonLine = { line: number; ok: true; value: unknown } | { line: number; ok: false; error: string };

/** Numbered JSON values from a JSONL stream; blank lines are skipped but still counted. */
export async function* readJsonLines(input: Readable): AsyncGenerator<JsonLine> {
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() === '') continue;
    try {
      yield { line, ok: true, value: JSON.parse(text) as unknown };
    } catch (err) {
      yield { line, ok: false, error: `not valid JSON: ${(err as Error).message}` };
    }
  }
}

/** Writes one line, waiting when the consumer is slower than we are. */
export async function writeLine(output: Writable, value: unknown): Promise<void> {
  if (!output.write(`${JSON.stringify(value)}\n`)) await once(output, 'drain');
}
