import { strict as assert } from 'node:assert';
import { lookup, lookupAll, lookupAllKeyVal, lookupAllStrv, lookupBoolean, lookupLastArgs } from '../../src/parse/lookup';
import { looksBinary, parseUnitText } from '../../src/parse/parseUnitFile';

const parse = (text: string) => parseUnitText(text, '/d/x.container', 'x.container');

describe('parseUnitText', function () {
  it('reads sections, repeated keys and line numbers', function () {
    const { unit, diagnostics } = parse('# c\n[Unit]\nA=1\n\n[Container]\nImage = img \nA=2\nA=3\n');
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(unit.sections.map((s) => s.name), ['Unit', 'Container']);
    const c = unit.sections[1];
    assert.deepEqual(c?.entries.map((e) => [e.key, e.value, e.line]), [
      ['Image', 'img', 6],
      ['A', '2', 7],
      ['A', '3', 8],
    ]);
  });
  it('joins backslash continuations as systemd does: the backslash becomes a space, comments inside are skipped', function () {
    const { unit } = parse('[Container]\nExec=a \\\n# note\n  b \\\n; more\n c\nImage=i\n');
    // Leading whitespace of a continued line is kept, as in systemd's config_parse().
    assert.equal(lookup(unit, 'Container', 'Exec'), 'a    b   c');
    assert.equal(unit.sections[0]?.entries[0]?.line, 2);
    assert.equal(unit.sections[0]?.entries[1]?.line, 7);
    // Without a space before the backslash the words still part (Quadlet would give "ab").
    assert.equal(lookup(parse('[Container]\nExec=a\\\nb\n').unit, 'Container', 'Exec'), 'a b');
  });
  it('does not continue after an escaped backslash, and a blank line ends a continuation', function () {
    const escaped = parse('[Container]\nExec=echo a\\\\\nImage=i\n');
    assert.deepEqual(escaped.diagnostics, []);
    assert.equal(lookup(escaped.unit, 'Container', 'Exec'), 'echo a\\\\');
    assert.equal(lookup(escaped.unit, 'Container', 'Image'), 'i');
    const blank = parse('[Container]\nExec=true \\\n\nImage=i\n');
    assert.deepEqual(blank.diagnostics, []);
    assert.equal(lookup(blank.unit, 'Container', 'Exec'), 'true');
    assert.equal(lookup(blank.unit, 'Container', 'Image'), 'i');
  });
  it('reads CRLF and CR line ends and a BOM, and trims only systemd whitespace', function () {
    const { unit, diagnostics } = parse('\uFEFF[Container]\r\nImage=i\rEnvironment=A=\u00a0\r\n');
    assert.deepEqual(diagnostics, []);
    assert.equal(lookup(unit, 'Container', 'Image'), 'i');
    assert.equal(unit.sections[0]?.entries[1]?.value, 'A=\u00a0');
    assert.equal(unit.sections[0]?.entries[1]?.line, 3);
  });
  it('merges repeated sections in order', function () {
    const { unit } = parse('[Container]\nA=1\n[Unit]\nB=1\n[Container]\nA=2\n');
    assert.deepEqual(lookupAll(unit, 'Container', 'A'), ['1', '2']);
  });
  it('reports every malformed line with its number', function () {
    const { diagnostics } = parse('Image=x\n[Container\n[Container]\njust words\n=v\nExec=a \\\n');
    assert.deepEqual(
      diagnostics.map((d) => [d.line, d.message.split(' ').slice(0, 3).join(' ')]),
      [
        [1, 'key "Image" appears'],
        [2, 'malformed section header'],
        [4, 'line "just words"'],
        [5, 'line "=v" is'],
        [6, 'backslash continuation runs'],
      ],
    );
  });
  it('detects binary input', function () {
    assert.equal(looksBinary(Buffer.from('[Container]\nImage=x\n')), false);
    assert.equal(looksBinary(Buffer.from([0x41, 0x00, 0x42])), true);
    assert.equal(looksBinary(Buffer.from([0xc3, 0x28])), true);
  });
});

describe('lookup semantics (Quadlet parser compatibility)', function () {
  const { unit } = parse(
    [
      '[Container]',
      'Label=a=1 "b=two words"',
      'Label=',
      'Label=c=3',
      'Env=X=1 Y',
      'Env=X=2',
      'Name="quoted"  ',
      'Caps=CAP_A "CAP B"',
      String.raw`Exec=/bin/sh -c "echo \"hi\""`,
      'Flag=On',
      'Other=maybe',
      '',
    ].join('\n'),
  );
  it('an empty assignment resets a list', function () {
    assert.deepEqual(lookupAll(unit, 'Container', 'Label'), ['c=3']);
  });
  it('key=value maps: later keys win, bare words map to null', function () {
    assert.deepEqual([...lookupAllKeyVal(unit, 'Container', 'Env')], [
      ['X', '2'],
      ['Y', null],
    ]);
  });
  it('scalars drop trailing space and one pair of double quotes', function () {
    assert.equal(lookup(unit, 'Container', 'Name'), 'quoted');
  });
  it('strv and exec splitting', function () {
    assert.deepEqual(lookupAllStrv(unit, 'Container', 'Caps'), ['CAP_A', 'CAP B']);
    assert.deepEqual(lookupLastArgs(unit, 'Container', 'Exec'), ['/bin/sh', '-c', 'echo "hi"']);
  });
  it('booleans as systemd reads them', function () {
    assert.equal(lookupBoolean(unit, 'Container', 'Flag'), true);
    assert.equal(lookupBoolean(unit, 'Container', 'Missing'), undefined);
  });
});
