export declare function isAlive(pid: number): boolean;
export declare function descendants(...roots: number[]): number[];
