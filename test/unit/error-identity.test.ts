import assert from 'node:assert/strict';
import { test } from 'node:test';
import { McptestError, toMcptestError } from '../../shared/errors.js';

test('an McptestError of another copy of the module passes instanceof; subclasses keep their own check', async () => {
  // A second instance of shared/errors.js, as the `mcptest` command's CommonJS bundle carries.
  const copySpecifier = '../../shared/errors.js?second-copy';
  const copy = (await import(copySpecifier)) as typeof import('../../shared/errors.js');
  assert.notEqual(copy.McptestError, McptestError, 'two classes');
  const theirs = new copy.McptestError('no_credentials', 'no login is cached', { hint: 'mcptest login' });
  assert.ok(theirs instanceof McptestError);
  assert.equal(toMcptestError(theirs), theirs, 'kept as it is, code and hint intact');
  assert.equal(toMcptestError(theirs).hint, 'mcptest login');
  assert.ok(new McptestError('internal', 'x') instanceof copy.McptestError);
  assert.equal(new Error('plain') instanceof McptestError, false);
  assert.equal({ code: 'internal' } instanceof McptestError, false);

  class Refusal extends McptestError {}
  assert.ok(new Refusal('invalid_request', 'x') instanceof Refusal);
  assert.ok(new Refusal('invalid_request', 'x') instanceof McptestError);
  assert.equal(new McptestError('invalid_request', 'x') instanceof Refusal, false);
  assert.equal(theirs instanceof Refusal, false);
});
