import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { PROJECT_ROOT as ROOT, requireTool } from '../../src/dev/tools';

/**
 * What a benchmark result must say about where it ran: the machine, the
 * versions, and how busy the machine already was (the load average at the
 * start), since other work on a 2-core machine shows up in every number.
 */
export interface MachineFacts {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  temporalCli: string;
  platform: string;
  loadAtStart: [number, number, number];
  startedAt: string;
  /** The commit measured, and whether src/ had uncommitted changes (others work in the same checkout). */
  code: string;
}

function codeVersion(): string {
  try {
    const git = (args: string[]) => execFileSync('git', args, { encoding: 'utf8', cwd: ROOT }).trim();
    const commit = git(['rev-parse', '--short', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--', 'src']) !== '';
    return `commit ${commit}${dirty ? ' with uncommitted changes in src/ (work in progress in this checkout, measured as it was)' : ''}`;
  } catch {
    return 'unknown commit';
  }
}

export function describeMachine(): MachineFacts {
  let temporalCli: string;
  try {
    temporalCli = execFileSync(requireTool('temporal'), ['--version'], { encoding: 'utf8' }).trim();
  } catch (err) {
    temporalCli = `unknown (${(err as Error).message.split('\n')[0]})`;
  }
  const load = os.loadavg();
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    temporalCli,
    platform: `${os.platform()} ${os.release()}`,
    loadAtStart: [load[0]!, load[1]!, load[2]!],
    startedAt: new Date().toISOString(),
    code: codeVersion(),
  };
}

export function machineLines(m: MachineFacts): string[] {
  const load = m.loadAtStart.map((l) => l.toFixed(2)).join(', ');
  return [
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.platform}  `,
    `Node ${m.node}; ${m.temporalCli}  `,
    `Code: ${m.code}  `,
    `Started ${m.startedAt}; load average at start (1, 5, 15 min): ${load}  `,
  ];
}

/** Load average now, as one short string. */
export function loadNow(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

let clockTicks: number | undefined;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere or once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: fields count from after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / clockTicks;
  } catch {
    return undefined;
  }
}

/** Resident memory of a process in MiB, from /proc (Linux). */
export function processRssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}
