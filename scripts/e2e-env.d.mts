// Types of scripts/e2e-env.mjs (plain JavaScript: the setup script runs before npm ci).
export declare const CODE_SERVER_VERSION: string;
export declare const root: string;
export declare const e2eCache: string;
export declare const codeServerBin: string;
export declare const chromiumPath: string;
export declare function missingPrerequisites(): string[];
