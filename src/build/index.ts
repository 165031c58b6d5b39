/** The build after tsc: precompiled schema validators, then the CLI bundle (`npm run build`). */
import { bundleCli } from './bundle.js';
import { buildValidators } from './validators.js';

buildValidators();
await bundleCli();
