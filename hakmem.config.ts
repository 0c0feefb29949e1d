import { defineConfig } from '@hakmem/codegen';

// The build's configuration: defaults <- profile <- the values below. Checked by `npm run codegen`.
export default defineConfig({
  profile: 'balanced',
});
