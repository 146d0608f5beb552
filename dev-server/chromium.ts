// The browser the UI tests drive: Debian's chromium, found on PATH or installed once from Debian's packages (as the
// stack does for PostgreSQL), so the tests need nothing installed by hand on a new machine.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { which } from './processes';

const KNOWN_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | undefined {
  return which('chromium') ?? KNOWN_PATHS.find((path) => existsSync(path));
}

/** The chromium executable, installed with apt-get when it is missing (root only). */
export function findOrInstallChromium(log: (line: string) => void): string {
  const found = findChromium();
  if (found) return found;
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    throw new Error('chromium is not installed: install Debian\'s `chromium` package (apt-get install chromium)');
  }
  log('installing chromium from Debian packages (apt-get install chromium); this happens once per machine and takes a minute or two');
  // Another process may hold dpkg's lock for a while (a parallel install): wait for it rather than fail.
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const result = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${result.status})`);
  }
  const installed = findChromium();
  if (!installed) throw new Error('chromium was installed but no executable was found on PATH');
  return installed;
}
