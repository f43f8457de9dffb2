export interface Assets { kubeApiserver: string; etcd: string; source: 'TEST_ASSET_*' | 'KUBEBUILDER_ASSETS' | 'cache' | 'build' }
export declare function findAssets(options?: { build?: boolean }): Assets;
export declare function cacheDir(): string;
export declare const repoRoot: string;
export declare class EnvtestAssetsError extends Error {}
