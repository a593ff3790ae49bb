import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, ExitCodes, errorCodeName, exitCodeFor } from '../../protocol/src';
import { classifyEngineError } from '../../server/src/engine/classify';

describe('protocol error codes', () => {
  it('are unique and stable', () => {
    const values = Object.values(ErrorCodes);
    assert.equal(new Set(values).size, values.length);
    // The numbers are public API: changing one breaks scripts.
    assert.deepEqual(
      { ...ErrorCodes },
      { InvalidRequest: -32600, InvalidParams: -32602, InternalError: -32603, Cancelled: -32800, OperationFailed: 1001, Busy: 1002, NotFound: 1003, Rejected: 1004, EngineUnreachable: 1005, Conflict: 1006 },
    );
    assert.equal(errorCodeName(1002), 'Busy');
    assert.equal(errorCodeName(42), undefined);
  });

  it('map to the CLI exit codes', () => {
    assert.equal(exitCodeFor(ErrorCodes.Busy), ExitCodes.Busy);
    assert.equal(exitCodeFor(ErrorCodes.NotFound), ExitCodes.NotFound);
    assert.equal(exitCodeFor(ErrorCodes.Rejected), ExitCodes.Rejected);
    assert.equal(exitCodeFor(ErrorCodes.EngineUnreachable), ExitCodes.EngineUnreachable);
    assert.equal(exitCodeFor(ErrorCodes.InvalidParams), ExitCodes.Usage);
    assert.equal(exitCodeFor(ErrorCodes.InvalidRequest), ExitCodes.Usage);
    assert.equal(exitCodeFor(ErrorCodes.OperationFailed), ExitCodes.Failed);
    assert.equal(exitCodeFor(ErrorCodes.InternalError), ExitCodes.Failed);
  });
});

describe('engine error classification', () => {
  const endpoint = 'unix:///var/run/docker.sock';
  it('classifies by status code and socket code, not by message', () => {
    assert.equal(classifyEngineError({ statusCode: 404, json: { message: 'No such container: x' } }, 'Inspecting x', endpoint).code, ErrorCodes.NotFound);
    assert.equal(classifyEngineError({ statusCode: 409, json: { message: 'conflict' } }, 'x', endpoint).code, ErrorCodes.Conflict);
    assert.equal(classifyEngineError({ statusCode: 500, json: { message: 'boom' } }, 'x', endpoint).code, ErrorCodes.OperationFailed);
    const unreachable = classifyEngineError(Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' }), 'x', endpoint);
    assert.equal(unreachable.code, ErrorCodes.EngineUnreachable);
    assert.match(unreachable.message, /unix:\/\/\/var\/run\/docker\.sock/);
    // A message that merely mentions "404" is not a 404.
    assert.equal(classifyEngineError(new Error('got 404 somewhere'), 'x', endpoint).code, ErrorCodes.OperationFailed);
  });
});
