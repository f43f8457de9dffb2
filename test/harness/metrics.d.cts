export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export declare function parseMetrics(text: string): Sample[];
export declare function metricValue(text: string, name: string, labels?: Record<string, string>, options?: { exact?: boolean }): number | undefined;
export declare function metricSum(text: string, name: string, labels?: Record<string, string>): number;
