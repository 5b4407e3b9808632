import { cpSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { ROOT } from './tool-cache.ts';

export const IMAGES_DIR = join(ROOT, 'deploy', 'images');

/** One instruction of a Dockerfile, its continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
  /** The build stage it belongs to (`FROM ... AS <stage>`). */
  stage: string;
}

export function readDockerfile(file: string): Instruction[] {
  const instructions: Instruction[] = [];
  let stage = '';
  let pending = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (pending === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const text = (pending + line).trim().replace(/\s+/g, ' ');
    pending = '';
    const [keyword = '', ...rest] = text.split(' ');
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') stage = args.match(/ AS (\S+)$/i)?.[1] ?? args;
    instructions.push({ keyword: keyword.toUpperCase(), args, stage });
  }
  return instructions;
}

/** `COPY` from the build context (not `--from`): its sources and destination. */
export function contextCopies(instructions: Instruction[]): { stage: string; sources: string[]; destination: string }[] {
  return instructions
    .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
    .map((i) => {
      const parts = i.args.split(' ').filter((p) => !p.startsWith('--'));
      return { stage: i.stage, sources: parts.slice(0, -1), destination: parts.at(-1) ?? '' };
    });
}

/**
 * Copies what a stage's COPY instructions take from the repository into `folder`, leaving out what the
 * Dockerfile's .dockerignore excludes (its patterns here: `**\/<name>`, `**\/*<suffix>`, or a root path).
 */
export function copyBuildContext(dockerfile: string, stage: string, folder: string): void {
  const patterns = readFileSync(`${dockerfile}.dockerignore`, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const ignored = (path: string): boolean =>
    patterns.some((pattern) => {
      const name = pattern.replace(/^\*\*\//, '');
      if (name === pattern) return path === pattern || path.startsWith(`${pattern}/`);
      return name.startsWith('*') ? path.endsWith(name.slice(1)) : basename(path) === name;
    });
  for (const copy of contextCopies(readDockerfile(dockerfile)).filter((c) => c.stage === stage)) {
    for (const source of copy.sources) {
      const target = copy.destination.endsWith('/')
        ? join(folder, copy.destination.replace(/^\.\//, ''), basename(source))
        : join(folder, copy.destination);
      cpSync(join(ROOT, source), target, { recursive: true, filter: (from) => !ignored(relative(ROOT, from)) });
    }
  }
}
