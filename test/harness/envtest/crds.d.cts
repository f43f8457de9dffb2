import type { Connection } from './kubeconfig.cjs';
export interface WaitOptions { timeoutMs?: number; intervalMs?: number }
export declare function readCrds(file: string): Array<Record<string, unknown>>;
export declare function crdFilesIn(dir: string): string[];
export declare function applyCrd(conn: Connection, crd: Record<string, unknown>): Promise<string>;
export declare function waitForCrdsEstablished(conn: Connection, names: string[], options?: WaitOptions): Promise<void>;
export declare function installCrdFiles(conn: Connection, files: string[], options?: WaitOptions): Promise<string[]>;
export declare class CrdError extends Error {}
