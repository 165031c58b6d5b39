import { describe, expect, it } from 'vitest';
import { renderString } from '../../../src/template/render.js';
import { literalTemplate } from '../../../src/template/unsafe.js';
import { calls, runEngine } from '../../support/engine-harness.js';

describe('!unsafe values are passed literally', () => {
  it('literalTemplate renders to the text itself, however often rendered', () => {
    for (const s of ['p{{w', 'a{{ b }}c', '{{', '{% if x %}y{# c #}', "q'{{\"}}\\{{", '\\\\{{ x }}\\', 'plain']) {
      const once = renderString(literalTemplate(s), {});
      expect(once).toBe(s);
    }
  });

  it('from the inventory, play vars and vars_files, through templates, unchanged', async () => {
    const r = await runEngine({
      hosts: 1,
      inventory: `all:
  hosts:
    h1:
      ansible_connection: ssh
      inv_pw: !unsafe 'p{{w}}rd{% x %}'
`,
      files: { 'vars.yml': "file_pw: !unsafe '{{ not_a_var }}'\n" },
      playbook: `- hosts: all
  vars:
    play_pw: !unsafe "a{{b"
    uses: "{{ play_pw }}-{{ inv_pw }}"
  vars_files: [vars.yml]
  tasks:
    - { name: show, probe: { id: show, echo: "{{ uses }}|{{ file_pw }}" } }
`,
    });
    expect(calls(r, 'show')[0]?.params.echo).toBe('a{{b-p{{w}}rd{% x %}|{{ not_a_var }}');
  });
});

describe('inventory --list shows !unsafe values as written', () => {
  it('not as the template that renders them', async () => {
    const { inventoryList } = await import('../../../src/cli/inventory.js');
    const { loadText } = await import('../inventory/helpers.js');
    const inv = await loadText("all:\n  hosts:\n    h1:\n      pw: !unsafe 'a{{b\\\\{%c'\n");
    expect(inventoryList(inv)._meta).toEqual({ hostvars: { h1: { pw: 'a{{b\\\\{%c' } } });
  });
});
