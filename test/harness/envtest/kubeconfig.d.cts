export interface Connection { server: string; caFile: string; certFile: string; keyFile: string; user: string }
export declare function kubeconfigYaml(conn: Connection): string;
export declare function writeKubeconfig(file: string, conn: Connection): string;
export declare function rawRequest(conn: Connection, method: string, path: string,
  options?: { body?: unknown; contentType?: string; timeoutMs?: number }): Promise<{ statusCode: number; body: string }>;
export declare function apiRequest(conn: Connection, method: string, path: string,
  options?: { body?: unknown; contentType?: string; timeoutMs?: number }): Promise<unknown>;
export declare class ApiError extends Error { statusCode: number; body: string }
