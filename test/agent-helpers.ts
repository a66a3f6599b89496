/**
 * Helpers for the agent tests: a state directory set up by the real `hako agent init`, a
 * project whose environment is wrapped to that agent's recipient, and a running agent
 * (`hako agent run` as a child process) that tests stop by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { baseEnv, HAKO_BIN, Project, REPO_ROOT, runHako, tempDir } from './helpers.js';

export const AGENT_APP = join(REPO_ROOT, 'build', 'examples', 'agent-app', 'server.js');

export class AgentDir {
  readonly dir: string;
  readonly recipient: string;

  constructor() {
    this.dir = join(tempDir('hako-agent-'), 'state');
    const r = runHako(['agent', 'init', '--json'], { env: this.env() });
    if (r.code !== 0) throw new Error(`agent init failed: ${r.stderr}`);
    this.recipient = (JSON.parse(r.stdout) as { recipient: string }).recipient;
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return baseEnv({ HAKO_AGENT_DIR: this.dir, ...extra });
  }

  /** Every file of the state directory, read whole (the database, its WAL, everything). */
  files(): { name: string; bytes: Buffer }[] {
    return readdirSync(this.dir)
      .filter((n) => statSync(join(this.dir, n)).isFile())
      .map((name) => ({ name, bytes: readFileSync(join(this.dir, name)) }));
  }

  cleanup(): void {
    rmSync(join(this.dir, '..'), { recursive: true, force: true });
  }
}

/** A project with environment `env` holding `values`, wrapped to the agent's recipient. */
export function projectFor(agent: AgentDir, env: string, values: Record<string, string>): Project {
  const p = new Project();
  for (const [k, v] of Object.entries(values)) p.set(k, v, env);
  p.ok(['recipients', 'add', agent.recipient, '--env', env]);
  return p;
}

export interface RunningAgent {
  child: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

/** Starts `hako agent run` and waits until its socket answers. */
export async function startAgent(agent: AgentDir): Promise<RunningAgent> {
  const child = spawn(process.execPath, [HAKO_BIN, 'agent', 'run'], { env: agent.env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  while (!log.includes('listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`agent did not start: ${log}`);
    await sleep(50);
  }
  return {
    child,
    log: () => log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export function agentSocket(agent: AgentDir): string {
  return join(agent.dir, 'agent.sock');
}

export function stateHas(agent: AgentDir, name: string): boolean {
  return existsSync(join(agent.dir, name));
}
