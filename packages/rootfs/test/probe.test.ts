import { it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pack } from 'tar-stream';
import { importImage } from '../src/import';
import { storeFor } from '../src/store';
it('probe', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-'));
  const p = pack();
  p.entry({ name: 'a.txt' }, 'hello');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  fs.writeFileSync(path.join(tmp, 'x.tar'), Buffer.concat(chunks));
  const img = await importImage(path.join(tmp, 'x.tar'), storeFor({ XDG_DATA_HOME: tmp, HOME: tmp }));
  console.log(img, fs.readdirSync(img.rootfs));
  expect(1).toBe(1);
});
