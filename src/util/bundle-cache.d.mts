/** Types of bundle-cache.mjs (plain JavaScript, so the bin can use it before a TypeScript loader exists). */
export declare const CACHE_DIR: string
export declare function sourceKey(): string
export declare function cachedBundle(name: string, entry: string, options?: { split?: boolean }): Promise<string>
