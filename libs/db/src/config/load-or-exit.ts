import { type AppConfig, ConfigError, loadConfig } from './config.js';

/**
 * For a process entry point: the configuration, or — when it is invalid — the list of what is
 * wrong on stderr as `holdout <processName>: invalid configuration: …` and exit 78 (EX_CONFIG),
 * so a supervisor does not restart a process that cannot start. Other errors are thrown.
 */
export function loadConfigOrExit(processName: string): AppConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`holdout ${processName}: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}
