// Host processes as /proc shows them, for harnesses that stop, freeze or measure what they started.
'use strict';
const fs = require('node:fs');

/**
 * Whether pid runs. A zombie counts as dead: PID 1 on this machine may never reap orphans, so
 * kill(pid, 0) alone would report a dead process alive forever.
 */
function isAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** Every descendant of each root (children, grandchildren, ...), roots excluded. */
function descendants(...roots) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  const out = [];
  const seen = new Set(roots);
  const queue = [...roots];
  while (queue.length) {
    for (const c of children.get(queue.shift()) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

module.exports = { isAlive, descendants };
