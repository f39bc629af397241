import type { MigrationCollectionSetup, Doc, MigrationDefinition } from '../../src/index.js';

export declare const TASKS: number;
export declare const NOTES: number;
export declare function collections(): Record<string, MigrationCollectionSetup>;
export declare function seedDocs(): { tasks: Doc[]; notes: Doc[] };
export declare function hookFile(root: string): string;
export declare function migrationDefinitions(slowMs?: number): MigrationDefinition[];
