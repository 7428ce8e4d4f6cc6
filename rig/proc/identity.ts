// Who a process is, beyond its pid: pids are reused, a process's start time tells them apart.
import { readFileSync } from 'node:fs';

/** A process's start time: field 22 of /proc/<pid>/stat (clock ticks since boot), or null without /proc or the process. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
