import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinModules } from '../../../modules/index.js';
import { moduleMarkdown } from '../../../src/cli/doc.js';
import { REPO } from '../../support/cli.js';

describe('README modules section', () => {
  it('is what runbook doc --markdown prints: every module with its example', async () => {
    const readme = await readFile(path.join(REPO, 'README.md'), 'utf8');
    const m = /<!-- modules:start -->\n([\s\S]*?)\n<!-- modules:end -->/.exec(readme);
    expect(m, 'README.md has no <!-- modules:start --> … <!-- modules:end --> section').toBeTruthy();
    const expected = moduleMarkdown(new Map(builtinModules.map((d) => [d.name, d])));
    expect(m![1], 'regenerate it with: node bin/runbook.js doc --markdown').toBe(expected);
  });
});
