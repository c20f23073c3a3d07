/** A V8 .cpuprofile summarised by self time, per function and per file (the profile script's tables). */
import path from 'node:path';
import { markdownTable } from './common.js';

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): string {
  if (url === '') return '';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = clean.slice(nm + 'node_modules/'.length).split('/');
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    return `${pkg}/${rest.at(-1)}`;
  }
  const packages = clean.indexOf('/packages/');
  if (packages >= 0) return clean.slice(packages + 1);
  return clean.startsWith('node:') ? clean : path.basename(clean);
}

/** Self time (µs) per function (name + file + line) and per file or category. */
export function selfTimes(profile: CpuProfile): { byFunction: Map<string, number>; byFile: Map<string, number>; total: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const total = [...self.values()].reduce((sum, value) => sum + value, 0);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, time] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const file = where(url);
    const name = `${functionName || '(anonymous)'}${file === '' ? '' : ` ${file}:${lineNumber + 1}`}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + time);
    const fileKey = file === '' ? functionName : file.replace(/:\d+$/, '');
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + time);
  }
  return { byFunction, byFile, total };
}

/** Self time per function (name + file + line), and per file. */
export function summarise(profile: CpuProfile, top = 15): string {
  const { byFunction, byFile, total } = selfTimes(profile);
  const table = (map: Map<string, number>, label: string) =>
    markdownTable(
      [label, 'self ms', 'self %'],
      [...map.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([name, time]) => [name, (time / 1000).toFixed(0), `${((100 * time) / total).toFixed(1)}%`]),
      ['l', 'r', 'r'],
    );
  return `${table(byFunction, 'function (self time)')}\n\n${table(byFile, 'file / category (self time)')}\n`;
}

