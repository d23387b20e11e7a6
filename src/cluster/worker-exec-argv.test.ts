import { describe, expect, it } from 'vitest';
import { WORKER_SEMI_SPACE_OPTION, workerExecArgv } from './worker-exec-argv.js';

describe('workerExecArgv', () => {
  it("adds the workers' semi-space size to the primary's options", () => {
    expect(workerExecArgv(['--enable-source-maps'], undefined)).toEqual(['--enable-source-maps', WORKER_SEMI_SPACE_OPTION]);
    expect(workerExecArgv([], '')).toEqual([WORKER_SEMI_SPACE_OPTION]);
  });

  it('keeps a semi-space size the operator chose on the command line or in NODE_OPTIONS', () => {
    expect(workerExecArgv(['--max-semi-space-size=32'], undefined)).toEqual(['--max-semi-space-size=32']);
    expect(workerExecArgv(['--max_semi_space_size', '8'], undefined)).toEqual(['--max_semi_space_size', '8']);
    expect(workerExecArgv([], '--max-old-space-size=512 --max-semi-space-size=16')).toEqual([]);
  });

  it('is not fooled by options that only start alike', () => {
    expect(workerExecArgv(['--max-semi-space-sizes=1'], '--max-old-space-size=64')).toEqual(['--max-semi-space-sizes=1', WORKER_SEMI_SPACE_OPTION]);
  });
});
