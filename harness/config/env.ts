/** `${NAME}` and `${NAME:-fallback}` substitution from the environment. */
const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface Substituted {
  value: string;
  /** Variables the template named that are not set and have no fallback. */
  missing: string[];
  /** The template used at least one variable (its value may be a secret). */
  usedEnv: boolean;
  /** The values taken from the environment (or fallbacks), in order: each may be a secret on its own. */
  values: string[];
  /** Of those, the ones the environment itself gave (fallbacks written in the config left out). */
  fromEnv: string[];
}

export function substituteEnv(template: string, env: NodeJS.ProcessEnv = process.env): Substituted {
  const missing: string[] = [];
  let usedEnv = false;
  const values: string[] = [];
  const fromEnv: string[] = [];
  const value = template.replace(VAR, (_, name: string, fallback: string | undefined) => {
    usedEnv = true;
    const v = env[name];
    if (v !== undefined && v !== '') return values.push(v), fromEnv.push(v), v;
    if (fallback !== undefined) return values.push(fallback), fallback;
    missing.push(name);
    return '';
  });
  return { value, missing, usedEnv, values, fromEnv };
}
