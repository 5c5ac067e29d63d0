/** Types of bundle-cache.mjs (plain JavaScript, so the bin can use it before a TypeScript loader exists). */
export declare const CACHE_DIR: string
/** Packages the bundles leave as imports (they find their own files or native addons at run time). */
export declare const EXTERNAL: readonly string[]
export declare function sourceKey(): string
export declare function cachedBundle(name: string, entry: string, options?: { split?: boolean }): Promise<string>
