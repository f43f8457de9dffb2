// Terraform-style cidrsubnet for IPv4: the netnum-th block of `newbits` extra prefix bits.

export function cidrSubnet(base: string, newbits: number, netnum: number): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(base);
  if (!m) throw new Error(`not an IPv4 CIDR: ${base}`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  const newPrefix = prefix + newbits;
  if (newPrefix > 32 || netnum < 0 || netnum >= 2 ** newbits) {
    throw new Error(`cannot take block ${netnum} of /${newPrefix} from ${base}`);
  }
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const network = ip - (ip % 2 ** (32 - prefix));
  const addr = network + netnum * 2 ** (32 - newPrefix);
  const parts = [24, 16, 8, 0].map((shift) => Math.floor(addr / 2 ** shift) % 256);
  return `${parts.join('.')}/${newPrefix}`;
}
