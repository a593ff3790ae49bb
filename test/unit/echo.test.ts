// The one helper that shows user input in messages: long values cut to their start and end
// with the full length, control characters made visible, code points never split.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cutLongRuns, echo, ECHO_LIMIT, quoted } from '../../server/src/echo';

describe('echo', () => {
  it('shows short input whole', () => {
    assert.equal(echo('/configs/plugins'), '/configs/plugins');
    assert.equal(echo('x'.repeat(ECHO_LIMIT)), 'x'.repeat(ECHO_LIMIT));
    assert.equal(quoted('web'), '"web"');
  });

  it('cuts a 5,000-character path to its first 60 and last 40 characters with the length', () => {
    const path = `/${'a'.repeat(2000)}${'b'.repeat(2000)}${'c'.repeat(998)}/end`;
    assert.equal(path.length, 5003);
    const shown = echo(path);
    assert.equal(shown, `/${'a'.repeat(59)}…${'c'.repeat(36)}/end (5003 characters)`);
    assert.ok(shown.length < 130);
  });

  it('escapes control characters so a name cannot break the line or drive the terminal', () => {
    assert.equal(echo('a\nb\tc\u001b[31md\u007f'), 'a\\nb\\tc\\u001b[31md\\u007f');
    assert.doesNotMatch(echo(`${'x'.repeat(200)}\n${'y'.repeat(200)}`), /\n/);
  });

  it('counts and cuts by code points, never inside a surrogate pair', () => {
    const emoji = '😀'.repeat(300);
    const shown = echo(emoji);
    assert.equal(shown, `${'😀'.repeat(60)}…${'😀'.repeat(40)} (300 characters)`);
    assert.equal(echo('😀'.repeat(ECHO_LIMIT)), '😀'.repeat(ECHO_LIMIT));
  });

  it('cutLongRuns cuts every overlong run in a finished message and leaves the rest', () => {
    const long = 'z'.repeat(1000);
    const message = `mkdir: can't create directory '/${long}/': File name too long`;
    const cut = cutLongRuns(message);
    assert.equal(cut, `mkdir: can't create directory '/${'z'.repeat(58)}…${'z'.repeat(37)}/': (1005 characters) File name too long`);
    assert.ok(cut.length < 200);
    assert.equal(cutLongRuns('short words only'), 'short words only');
  });
});
