// @ts-check
/**
 * How busy the machine was with work other than the bench, so that a reader can tell a slow relay
 * from a crowded host: CPU used by every other process (whole-machine busy time minus the bench's own
 * processes), time stolen by the hypervisor, and the load average.
 */
import os from 'node:os';
import { cpuMs, machineCpuMs } from './processes.mjs';

/** @typedef {{ otherShare: number, stealShare: number, loadAtStart: number[], loadAtEnd: number[], seconds: number }} Contention */

/** Starts measuring; call `finish` with the bench's child pids while they are still running. */
export function startContentionMeter() {
  const machineBefore = machineCpuMs();
  const selfBefore = process.cpuUsage();
  const started = performance.now();
  const loadAtStart = os.loadavg();
  return {
    /**
     * @param {number[]} childPids processes started after this meter (their whole CPU time is the bench's)
     * @returns {Contention}
     */
    finish(childPids) {
      const machineAfter = machineCpuMs();
      const self = process.cpuUsage(selfBefore);
      const children = childPids.reduce((total, pid) => {
        try {
          return total + cpuMs(pid);
        } catch {
          return total;
        }
      }, 0);
      const elapsedMs = performance.now() - started;
      const capacityMs = elapsedMs * os.availableParallelism();
      const ours = (self.user + self.system) / 1000 + children;
      return {
        otherShare: Math.max(0, (machineAfter.busy - machineBefore.busy - ours) / capacityMs),
        stealShare: (machineAfter.steal - machineBefore.steal) / capacityMs,
        loadAtStart,
        loadAtEnd: os.loadavg(),
        seconds: elapsedMs / 1000,
      };
    },
  };
}
