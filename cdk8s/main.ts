// `npm run synth`: writes the CRD, the operator install manifests and the examples.
import fs from 'node:fs';
import path from 'node:path';
import { synthesize } from './synth';

const root = path.resolve(__dirname, '..');
const generatedDirs = ['cdk8s/dist'];

// cdk8s/dist holds only generated files: clear it so a removed chart leaves nothing behind.
for (const dir of generatedDirs) fs.rmSync(path.join(root, dir), { recursive: true, force: true });
for (const [file, content] of synthesize()) {
  const target = path.join(root, file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, content);
  console.log(`wrote ${file} (${Buffer.byteLength(content)} bytes)`);
}
