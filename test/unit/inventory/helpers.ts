import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { loadInventory } from '../../../src/inventory/load.js';
import type { StaticInventory } from '../../../src/inventory/model.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/inventory/', import.meta.url));

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export function loadFixture(...parts: string[]): Promise<StaticInventory> {
  return loadInventory(fixture(...parts), { cwd: FIXTURES });
}

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
});

/** A throwaway directory holding `files` (path → content), removed after the test file. */
export async function tempTree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'runbook-inv-'));
  roots.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const full = join(root, rel);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
  return root;
}

/** Load an inventory written inline (`name` decides the format by its extension). */
export async function loadText(text: string, name = 'inventory.yml'): Promise<StaticInventory> {
  const root = await tempTree({ [name]: text });
  return loadInventory(join(root, name), { cwd: root });
}

/** The error a promise rejects with. */
export async function rejection(p: Promise<unknown>): Promise<Error & { pos?: { file: string; line: number; col: number } }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}
