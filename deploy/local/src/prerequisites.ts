import { spawnSync } from 'node:child_process';
import { StackError } from './stack-error.ts';

function versionOutput(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) return undefined;
  return `${result.stdout}${result.stderr}`;
}

/** The java executable to use: $JAVA_HOME/bin/java when set, else java on the PATH. */
export function javaCommand(): string {
  return process.env.JAVA_HOME ? `${process.env.JAVA_HOME}/bin/java` : 'java';
}

export function requireJava(minMajor: number, forWhat: string): string {
  const java = javaCommand();
  const output = versionOutput(java, ['-version']);
  const match = output?.match(/version "(\d+)(?:\.(\d+))?/);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : undefined;
  if (major === undefined) {
    throw new StackError(
      'PREREQUISITE_MISSING',
      `${forWhat} needs Java ${minMajor}+, but '${java}' was not found (install a JDK ${minMajor}+ or set JAVA_HOME)`,
    );
  }
  if (major < minMajor) {
    throw new StackError(
      'PREREQUISITE_MISSING',
      `${forWhat} needs Java ${minMajor}+, but '${java}' is Java ${major} (install a newer JDK or set JAVA_HOME)`,
    );
  }
  return java;
}

export function requirePython(minMinor: number, forWhat: string): string {
  const python = process.env.PL_PYTHON || 'python3';
  const output = versionOutput(python, ['--version']);
  const match = output?.match(/Python 3\.(\d+)/);
  if (!match) {
    throw new StackError(
      'PREREQUISITE_MISSING',
      `${forWhat} needs Python 3.${minMinor}+, but '${python}' was not found (install it or set PL_PYTHON)`,
    );
  }
  if (Number(match[1]) < minMinor) {
    throw new StackError(
      'PREREQUISITE_MISSING',
      `${forWhat} needs Python 3.${minMinor}+, but '${python}' is Python 3.${match[1]} (set PL_PYTHON to a newer one)`,
    );
  }
  const venv = spawnSync(python, ['-c', 'import venv, ensurepip'], { encoding: 'utf8' });
  if (venv.status !== 0) {
    throw new StackError(
      'PREREQUISITE_MISSING',
      `${forWhat} needs Python's venv and ensurepip modules (on Debian: apt-get install python3-venv)`,
    );
  }
  return python;
}

export function requireMaven(forWhat: string): string {
  const mvn = process.env.PL_MAVEN || 'mvn';
  if (versionOutput(mvn, ['-v']) === undefined) {
    throw new StackError(
      'PREREQUISITE_MISSING',
      `${forWhat} needs Maven to fetch jars from Maven Central, but '${mvn}' was not found (install Maven or set PL_MAVEN)`,
    );
  }
  return mvn;
}
