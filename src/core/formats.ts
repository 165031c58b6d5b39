import type { Ajv } from 'ajv';

/**
 * Formats the module schemas use, known to every ajv instance that checks them (load time
 * and run time), so a pattern refused at load time is the one refused at run time.
 */
export function addModuleFormats(ajv: Ajv): Ajv {
  // A string that compiles as a JavaScript RegExp, as the modules compile it (ajv-formats'
  // `regex` uses the stricter unicode mode and would refuse patterns the modules accept).
  ajv.addFormat('js-regex', (s: string) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  });
  return ajv;
}
