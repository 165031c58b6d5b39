import { describe, expect, it } from 'vitest';
import { displayArgv, splitShellWords } from '../../../../src/core/shell-words.js';

describe('splitShellWords', () => {
  it.each<[string, string[]]>([
    ['uname -r', ['uname', '-r']],
    ['  a   b\tc\n d ', ['a', 'b', 'c', 'd']],
    [`echo "a  b" 'c  d'`, ['echo', 'a  b', 'c  d']],
    [`a"b c"d`, ['ab cd']],
    [`'it'"'"'s'`, [`it's`]],
    [`"say \\"hi\\"" \\$x "\\$y" '\\n'`, ['say "hi"', '$x', '$y', '\\n']],
    [`"a\\b"`, ['a\\b']],
    [`a\\ b c`, ['a b', 'c']],
    [`'' ""`, ['', '']],
    [`echo $HOME $(id) \`id\` * ; | > #x`, ['echo', '$HOME', '$(id)', '`id`', '*', ';', '|', '>', '#x']],
    [`line\\\ncontinued`, ['linecontinued']],
    [`"multi\nline"`, ['multi\nline']],
    ['', []],
  ])('%j', (line, argv) => expect(splitShellWords(line)).toEqual(argv));

  it('refuses unterminated quotes and a trailing backslash', () => {
    expect(() => splitShellWords(`echo 'x`)).toThrow(/unterminated single quote/);
    expect(() => splitShellWords(`echo "x`)).toThrow(/unterminated double quote/);
    expect(() => splitShellWords(`echo x\\`)).toThrow(/trailing backslash/);
  });

  it('display quoting round-trips through the splitter', () => {
    const argv = ['printf', '%s\n', 'a b', `"q" 'q'`, 'line1\nline2', '$(rm -rf /)', '', 'plain'];
    expect(splitShellWords(displayArgv(argv))).toEqual(argv);
  });
});
