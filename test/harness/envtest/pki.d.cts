export interface KeyAndCert { keyFile: string; certFile: string }
export interface CertSubject { user?: string; groups?: string[]; serverNames?: string[]; ips?: string[] }
export declare function createCa(dir: string, commonName?: string): KeyAndCert;
export declare function issueCert(ca: KeyAndCert, dir: string, name: string, subject: CertSubject): KeyAndCert;
export declare function createServiceAccountKeys(dir: string): { keyFile: string; publicKeyFile: string };
export declare class EnvtestPkiError extends Error {}
