import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { escapeExecArgs, escapeExecWord, literal } from '../../src/render/escape';
import { EXEC_FLAGS, SplitError, STRV_FLAGS, splitWords } from '../../src/parse/splitWords';
import { firstInvalidCodePoint } from '../../src/parse/systemdText';

describe('splitWords (systemd extract_first_word)', function () {
  it('splits on whitespace and removes quotes', function () {
    assert.deepEqual(splitWords('a  "b c"\td', EXEC_FLAGS), ['a', 'b c', 'd']);
    assert.deepEqual(splitWords(`'it"s' x`, EXEC_FLAGS), ['it"s', 'x']);
  });
  it('joins adjacent quoted and unquoted parts into one word', function () {
    assert.deepEqual(splitWords('tag="{{.ImageName}}"', STRV_FLAGS), ['tag={{.ImageName}}']);
    assert.deepEqual(splitWords('a"b c"d', EXEC_FLAGS), ['ab cd']);
  });
  it('applies C escapes in exec mode, including octal, hex and unicode', function () {
    assert.deepEqual(splitWords(String.raw`"a\nb" \x41 '\110ello \127orld' \u00e9 \s`, EXEC_FLAGS), ['a\nb', 'A', 'Hello World', 'é', ' ']);
  });
  it('keeps backslashes literally in strv mode', function () {
    assert.deepEqual(splitWords(String.raw`a\nb "c\d"`, STRV_FLAGS), [String.raw`a\nb`, String.raw`c\d`]);
  });
  it('rejects unsupported escapes and (strictly) unbalanced quotes', function () {
    assert.throws(() => splitWords(String.raw`'test\.com'`, EXEC_FLAGS), SplitError);
    assert.throws(() => splitWords('"open', { unquote: true, cUnescape: true }), /unbalanced quotes/);
    assert.deepEqual(splitWords('"open', EXEC_FLAGS), ['open']); // relaxed, as systemd's ExecStart
  });
  it('keeps an empty quoted word', function () {
    assert.deepEqual(splitWords('a "" b', EXEC_FLAGS), ['a', '', 'b']);
  });
});

describe('render/escape', function () {
  const argText = fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !s.includes('\0') && firstInvalidCodePoint(s) === undefined);

  it('escapeExecArgs round-trips through systemd word splitting (property)', function () {
    fc.assert(
      fc.property(fc.array(argText, { minLength: 1, maxLength: 6 }), (argv) => {
        assert.deepEqual(splitWords(escapeExecArgs(argv), EXEC_FLAGS), argv);
      }),
      { numRuns: 2000 },
    );
  });
  it('quotes only when needed', function () {
    assert.equal(escapeExecWord('plain-word_1.0'), 'plain-word_1.0');
    assert.equal(escapeExecWord('two words'), '"two words"');
    assert.equal(escapeExecWord('say "hi"\n'), String.raw`"say \"hi\"\n"`);
    assert.equal(escapeExecWord(''), '""');
    assert.equal(escapeExecWord(';'), '";"'); // a lone ";" separates commands in systemd
    assert.equal(escapeExecWord('\x01'), String.raw`"\x01"`);
  });
  it('refuses what no unit file can carry', function () {
    assert.throws(() => escapeExecWord('a\0b'), /NUL/);
    assert.throws(() => escapeExecWord('\u{fffe}'), /U\+FFFE/);
  });
  it('literal() protects specifiers and variables', function () {
    assert.equal(literal('100% $HOME ${X}'), '100%% $$HOME $${X}');
  });
});
